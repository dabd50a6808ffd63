// Runs long enough for its POST to turn into a resumable stream (after 1 s) and for the server to
// end that stream (the conformance test gives streams 1 s) before the answer: the client resumes.
export const handler = async () => {
  await new Promise((resolve) => setTimeout(resolve, 2500))
  return {
    content: [{
      type: "text",
      text: "Reconnection test completed successfully. If you received this, the client properly reconnected after stream closure."
    }]
  }
}
