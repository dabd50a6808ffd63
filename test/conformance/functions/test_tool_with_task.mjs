// Tasks extension fixture (taskStart "function"): asks for a name before any task exists (an
// input-required round on the call), then goes on as a task, whose result names the answer.
export const handler = async (event) => {
  const name = event.inputResponses?.user_name?.content?.name
  if (name === undefined) {
    return {
      resultType: "input_required",
      inputRequests: {
        user_name: {
          method: "elicitation/create",
          params: { message: "What is your name?", requestedSchema: { type: "object", properties: { name: { type: "string" } }, required: ["name"] } }
        }
      }
    }
  }
  // Offered a task (and not yet in one): continue in the background.
  if (event.extra.task?.offered === true) return { resultType: "task" }
  return { content: [{ type: "text", text: `Hello, ${name}! (gathered before the task)` }] }
}
