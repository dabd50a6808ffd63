// Asks the user through an input-required answer, then reports what they said.
export const handler = async (event) => {
  const reply = event.inputResponses?.user
  if (reply === undefined) {
    return {
      resultType: "input_required",
      inputRequests: {
        user: {
          method: "elicitation/create",
          params: {
            message: event.args.message,
            requestedSchema: {
              type: "object",
              properties: {
                username: { type: "string", description: "User's response" },
                email: { type: "string", description: "User's email address" }
              },
              required: ["username", "email"]
            }
          }
        }
      }
    }
  }
  return { content: [{ type: "text", text: `User response: action=${reply.action}, content=${JSON.stringify(reply.content)}` }] }
}
