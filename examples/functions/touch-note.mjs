// A streaming tool that changes a resource: its resource_updated line makes every session
// subscribed to that URI (resources/subscribe) receive notifications/resources/updated.
// (A deployment can do the same from anywhere with POST /resources/updated on the Registration API.)
export const handler = awslambda.streamifyResponse(async (event, responseStream) => {
  const uri = `notes://${event.args.id}`
  responseStream.write(`${JSON.stringify({ type: "resource_updated", uri })}\n`)
  responseStream.write(`${JSON.stringify({ type: "result", result: `Touched ${uri}` })}\n`)
  responseStream.end()
})
