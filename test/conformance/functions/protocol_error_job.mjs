// Tasks extension fixture: a JSON-RPC error answer; the task ends failed with this error.
export const handler = async () => ({ error: { code: -32603, message: "The job's backend is unavailable" } })
