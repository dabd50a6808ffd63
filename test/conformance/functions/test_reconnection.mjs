// Runs long enough for the server to end the POST's stream first (see the conformance test's server options).
export const handler = async () => {
  await new Promise((resolve) => setTimeout(resolve, 300))
  return {
    content: [{
      type: "text",
      text: "Reconnection test completed successfully. If you received this, the client properly reconnected after stream closure."
    }]
  }
}
