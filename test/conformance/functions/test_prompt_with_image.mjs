export const handler = async () => ({
  messages: [
    { role: "user", content: { type: "image", data: "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==", mimeType: "image/png" } },
    { role: "user", content: { type: "text", text: "Please analyze the image above." } }
  ]
})
