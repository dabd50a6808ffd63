import { answer } from "./lib/inputRequired.mjs"

export const handler = (event) => answer("elicitation", event)
