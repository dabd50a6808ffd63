export const handler = async () => ({ messages: [{ role: "user", content: { type: "text", text: "This is a simple prompt for testing." } }] })
