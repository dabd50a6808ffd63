// Tasks extension fixture: a tool that never runs as a task (taskSupport "forbidden").
export const handler = async (event) => ({ content: [{ type: "text", text: `Hello, ${event.args.name}!` }] })
