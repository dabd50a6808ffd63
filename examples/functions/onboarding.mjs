// A tool that asks the user a question. It answers with an input-required result (the shape of
// MCP 2026-07-28): the server asks the client (elicitation/create), then calls this function
// again with the same args plus inputResponses and the requestState it gave. The function
// never waits for a human; each call returns at once.
export const handler = async (event) => {
  const answer = event.inputResponses?.profile
  if (answer === undefined) {
    return {
      resultType: "input_required",
      inputRequests: {
        profile: {
          method: "elicitation/create",
          params: {
            message: "Tell us about yourself",
            requestedSchema: {
              type: "object",
              properties: {
                name: { type: "string", description: "Your name" },
                role: { type: "string", enum: ["developer", "operator", "other"], default: "developer" }
              },
              required: ["name"]
            }
          }
        }
      },
      requestState: "asked-profile"
    }
  }
  if (answer.error !== undefined) return `Onboarding without a profile: ${answer.error.message}`
  if (answer.action !== "accept") return `Onboarding ${answer.action}ed.`
  return `Welcome, ${answer.content.name} (${answer.content.role ?? "developer"})!`
}
