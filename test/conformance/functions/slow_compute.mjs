// Tasks extension fixture: sleeps `seconds`, then answers (a task when the client declares the extension).
// The timer does not hold the process open: a cancelled task's sleep must not keep a test run alive.
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms).unref())

export const handler = async (event) => {
  const { seconds, label } = event.args
  await sleep(seconds * 1000)
  return { content: [{ type: "text", text: `Computed ${label} in ${seconds} s` }] }
}
