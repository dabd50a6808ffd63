// Elicitation whose fields carry defaults (SEP-1034).
export const handler = async (event) => {
  const reply = event.inputResponses?.form
  if (reply === undefined) {
    return {
      resultType: "input_required",
      inputRequests: {
        form: {
          method: "elicitation/create",
          params: {
            message: "Please review and update the form fields with defaults",
            requestedSchema: {
              type: "object",
              properties: {
                name: { type: "string", description: "User name", default: "John Doe" },
                age: { type: "integer", description: "User age", default: 30 },
                score: { type: "number", description: "User score", default: 95.5 },
                status: { type: "string", description: "User status", enum: ["active", "inactive", "pending"], default: "active" },
                verified: { type: "boolean", description: "Verification status", default: true }
              },
              required: []
            }
          }
        }
      }
    }
  }
  return { content: [{ type: "text", text: `Elicitation completed: action=${reply.action}, content=${JSON.stringify(reply.content)}` }] }
}
