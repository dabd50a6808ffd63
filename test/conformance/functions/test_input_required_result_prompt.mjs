// A prompt that asks for context before it can be built.
export const handler = async (event) => {
  const context = event.inputResponses?.user_context?.content?.context
  if (context === undefined) {
    return {
      resultType: "input_required",
      inputRequests: {
        user_context: {
          method: "elicitation/create",
          params: {
            message: "What context should the prompt use?",
            requestedSchema: { type: "object", properties: { context: { type: "string" } }, required: ["context"] }
          }
        }
      }
    }
  }
  return { messages: [{ role: "user", content: { type: "text", text: `Use this context: ${context}` } }] }
}
