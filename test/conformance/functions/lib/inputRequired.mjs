// Every multi round-trip fixture of the 2026-07-28 suite (one function file each calls `answer`
// with its case). Questions are input-required answers.
const elicit = (message, properties, required = Object.keys(properties)) => ({
  method: "elicitation/create",
  params: { message, requestedSchema: { type: "object", properties, required } }
})
const sample = (text) => ({
  method: "sampling/createMessage",
  params: { messages: [{ role: "user", content: { type: "text", text } }], maxTokens: 100 }
})
const roots = { method: "roots/list", params: {} }
const ask = (inputRequests, requestState) => ({ resultType: "input_required", inputRequests, ...(requestState === undefined ? {} : { requestState }) })
const text = (value) => ({ content: [{ type: "text", text: value }] })

export const answer = async (which, event) => {
  const answers = event.inputResponses ?? {}
  const state = event.requestState
  switch (which) {
    case "elicitation": {
      const name = answers.user_name?.content?.name
      return name === undefined ? ask({ user_name: elicit("What is your name?", { name: { type: "string" } }) }) : text(`Hello, ${name}!`)
    }
    case "sampling":
      return answers.sample_request === undefined
        ? ask({ sample_request: sample("What is the capital of France?") })
        : text(`The model said: ${answers.sample_request.content?.text}`)
    case "list_roots":
      return answers.roots_request === undefined
        ? ask({ roots_request: roots })
        : text(`Roots: ${(answers.roots_request.roots ?? []).map((root) => root.uri).join(", ")}`)
    case "request_state":
      return state === "awaiting-confirm" && answers.confirm !== undefined
        ? text("state-ok")
        : ask({ confirm: elicit("Please confirm", { ok: { type: "boolean" } }) }, "awaiting-confirm")
    case "multiple_inputs":
      return answers.user_name !== undefined && answers.greeting !== undefined && answers.client_roots !== undefined
        ? text("All three answered")
        : ask({
          user_name: elicit("What is your name?", { name: { type: "string" } }),
          greeting: sample("Say hello"),
          client_roots: roots
        }, "asked-all")
    case "multi_round":
      if (state === "step-2" && answers.step2 !== undefined) return text(`Done: ${answers.step2.content?.color}`)
      if (state === "step-1" && answers.step1 !== undefined) {
        return ask({ step2: elicit("Step 2: What is your favorite color?", { color: { type: "string" } }) }, "step-2")
      }
      return ask({ step1: elicit("Step 1: What is your name?", { name: { type: "string" } }) }, "step-1")
    case "tampered_state":
      return state === "trusted" && answers.confirm !== undefined
        ? text("Confirmed")
        : ask({ confirm: elicit("Please confirm", { ok: { type: "boolean" } }) }, "trusted")
    case "capabilities": {
      // Asks only what the client says it can answer.
      const declared = event.extra.clientCapabilities ?? {}
      if (Object.keys(answers).length > 0) return text("Answered")
      return ask({
        ...(declared.elicitation === undefined ? {} : { elicit_input: elicit("Your input?", { value: { type: "string" } }) }),
        ...(declared.sampling === undefined ? {} : { sample_input: sample("Your thoughts?") })
      })
    }
    default:
      throw new Error(`unknown case ${which}`)
  }
}
