import { answer } from "./lib/inputRequired.mjs"

export const handler = (event) => answer("list_roots", event)
