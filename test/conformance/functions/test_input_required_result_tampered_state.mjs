import { answer } from "./lib/inputRequired.mjs"

export const handler = (event) => answer("tampered_state", event)
