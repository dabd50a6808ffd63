export const handler = async () => ({ content: [{ type: "audio", data: "UklGRiYAAABXQVZFZm10IBAAAAABAAEAQB8AAAB9AAACABAAZGF0YQIAAAA=", mimeType: "audio/wav" }] })
