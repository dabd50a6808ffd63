// Tasks extension fixture: two questions at once; the task waits until both are answered.
const elicit = (message, properties) => ({
  method: "elicitation/create",
  params: { message, requestedSchema: { type: "object", properties, required: Object.keys(properties) } }
})

export const handler = async (event) => {
  const answers = event.inputResponses ?? {}
  if (answers.name === undefined || answers.confirm === undefined) {
    return {
      resultType: "input_required",
      inputRequests: {
        ...(answers.name === undefined ? { name: elicit("Your name?", { name: { type: "string" } }) } : {}),
        ...(answers.confirm === undefined ? { confirm: elicit("Go ahead?", { confirm: { type: "boolean" } }) } : {})
      }
    }
  }
  return { content: [{ type: "text", text: `Got ${answers.name.content?.name} and ${answers.confirm.content?.name}` }] }
}
