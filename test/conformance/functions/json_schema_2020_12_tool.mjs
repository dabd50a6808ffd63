export const handler = async (event) => ({
  content: [{ type: "text", text: `JSON Schema 2020-12 tool called with: ${JSON.stringify(event.args)}` }]
})
