/**
 * `mcp-lambda-sam proxy` as a bare child process (no SDK transport, which would end it with
 * signals): for tests of how it ends. Node runs with tsx's loader directly, so a kill reaches it.
 */
import { spawn } from "node:child_process"

export const startProxyProcess = (args: ReadonlyArray<string>, env: NodeJS.ProcessEnv) => {
  const proxy = spawn(process.execPath, ["--import", "tsx", "src/cli/bin.ts", "proxy", ...args], {
    env: { ...process.env, ...env },
    stdio: ["pipe", "pipe", "pipe"]
  })
  const exited = new Promise<number | null>((resolve) => proxy.once("exit", (code) => resolve(code)))
  let stdout = ""
  let stderr = ""
  proxy.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()))
  proxy.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()))
  return {
    stdout: () => stdout,
    stderr: () => stderr,
    /** Sends an `initialize` request, as a stdio client's first line. */
    initialize: () =>
      proxy.stdin.write(`${JSON.stringify({
        jsonrpc: "2.0",
        id: 1,
        method: "initialize",
        params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "desktop", version: "1.0.0" } }
      })}\n`),
    /** Closes its stdin, sends no signal, and waits up to `ms` for it to exit: its exit code, or "still running". */
    endInput: async (ms = 10_000) => {
      proxy.stdin.end()
      return Promise.race([exited, new Promise<"still running">((resolve) => setTimeout(() => resolve("still running"), ms))])
    },
    /** For the test's cleanup: kills it if it is still running. */
    stop: async () => {
      if (proxy.exitCode === null && proxy.signalCode === null) proxy.kill("SIGKILL")
      await exited
    }
  }
}
