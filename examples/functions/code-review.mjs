// A prompt with arguments: it answers the messages the client should send to its model.
export const handler = async (event) => {
  const { code, language = "the language it is written in", focus = "correctness" } = event.args
  return {
    description: `Review ${language} code for ${focus}`,
    messages: [
      {
        role: "user",
        content: {
          type: "text",
          text: `Please review this ${language} code, focusing on ${focus}. List concrete problems first, then suggestions.\n\n${code}`
        }
      }
    ]
  }
}
