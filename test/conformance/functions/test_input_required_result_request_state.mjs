import { answer } from "./lib/inputRequired.mjs"

export const handler = (event) => answer("request_state", event)
