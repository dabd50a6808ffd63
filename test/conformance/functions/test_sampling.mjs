// Asks the client's model through an input-required answer, then answers with its reply.
export const handler = async (event) => {
  const reply = event.inputResponses?.completion
  if (reply === undefined) {
    return {
      resultType: "input_required",
      inputRequests: {
        completion: {
          method: "sampling/createMessage",
          params: { messages: [{ role: "user", content: { type: "text", text: event.args.prompt } }], maxTokens: 100 }
        }
      }
    }
  }
  return { content: [{ type: "text", text: `LLM response: ${reply.content.text}` }] }
}
