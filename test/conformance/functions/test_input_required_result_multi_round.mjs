import { answer } from "./lib/inputRequired.mjs"

export const handler = (event) => answer("multi_round", event)
