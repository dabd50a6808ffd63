// Registered with requiredCapabilities { sampling: {} }: the server refuses callers without it.
export const handler = async () => ({ content: [{ type: "text", text: "Success" }] })
