import { trigger } from "./lib/triggerChange.mjs"

export const handler = () => trigger("prompt")
