// Changes one registration through the Registration API of the server under test (its URL comes
// from CONFORMANCE_SERVER_URL): the trigger tool itself for tools, a dedicated prompt for
// prompts. Only the description changes, so the lists keep their names and order.
export const trigger = async (kind) => {
  const id = kind === "prompt" ? "prompt-test_changing_prompt" : "tool-test_trigger_tool_change"
  const base = process.env.CONFORMANCE_SERVER_URL
  const current = await (await fetch(`${base}/register/${id}`)).json()
  const { createdAt: _createdAt, updatedAt: _updatedAt, version, ...definition } = current
  const changed = { ...definition, description: `${definition.description.replace(/ \(changed \d+\)$/, "")} (changed ${version})` }
  const response = await fetch(`${base}/register/${id}`, {
    method: "PUT",
    headers: { "content-type": "application/json", "if-match": `"${version}"` },
    body: JSON.stringify(changed)
  })
  if (!response.ok) throw new Error(`changing ${id} failed: ${response.status} ${await response.text()}`)
  return { content: [{ type: "text", text: "Mutation triggered" }] }
}
