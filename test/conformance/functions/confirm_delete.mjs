// Tasks extension fixture: asks the client to confirm (in a task: input_required, answered with tasks/update).
export const handler = async (event) => {
  const { filename } = event.args
  const reply = event.inputResponses?.confirm
  if (reply === undefined) {
    return {
      resultType: "input_required",
      inputRequests: {
        confirm: {
          method: "elicitation/create",
          params: {
            message: `Delete ${filename}?`,
            requestedSchema: { type: "object", properties: { confirm: { type: "boolean" } }, required: ["confirm"] }
          }
        }
      }
    }
  }
  const confirmed = reply.action === "accept" && reply.content?.confirm === true
  return { content: [{ type: "text", text: confirmed ? `Deleted ${filename}` : `Kept ${filename}` }] }
}
