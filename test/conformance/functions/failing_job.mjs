// Tasks extension fixture: a tool error (isError) after about a second; the task ends completed.
export const handler = async () => {
  await new Promise((resolve) => setTimeout(resolve, 1000).unref())
  return { content: [{ type: "text", text: "The job failed: nothing to process" }], isError: true }
}
