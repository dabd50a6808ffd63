// A tool that asks the client's model (sampling/createMessage) through an input-required
// result, then returns what the model said.
export const handler = async (event) => {
  const reply = event.inputResponses?.summary
  if (reply === undefined) {
    return {
      resultType: "input_required",
      inputRequests: {
        summary: {
          method: "sampling/createMessage",
          params: {
            messages: [{ role: "user", content: { type: "text", text: `Summarize in one sentence:\n\n${event.args.text}` } }],
            maxTokens: 200
          }
        }
      }
    }
  }
  if (reply.error !== undefined) return { content: [{ type: "text", text: `No model available: ${reply.error.message}` }], isError: true }
  return { content: [{ type: "text", text: reply.content.text }] }
}
