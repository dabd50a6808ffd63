// A resource with a URI template (notes://{id}): it lists its notes and reads one.
const NOTES = {
  welcome: "Welcome to mcp-lambda-sam. Every tool, resource and prompt here is a Lambda function.",
  transports: "Clients connect over Streamable HTTP at /mcp or the legacy SSE pair /sse + /message.",
  deploy: "npx mcp-lambda-sam deploy puts the same server in your AWS account."
}

export const handler = async (event) => {
  if (event.action === "list") {
    return {
      resources: Object.keys(NOTES).map((id) => ({ uri: `notes://${id}`, name: id, mimeType: "text/plain" }))
    }
  }
  const id = event.variables.id
  const text = NOTES[id]
  if (text === undefined) return { statusCode: 404, body: JSON.stringify({ error: `No note '${id}'` }) }
  return { contents: [{ uri: event.uri, mimeType: "text/plain", text }] }
}
