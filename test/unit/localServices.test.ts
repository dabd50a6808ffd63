/**
 * The test services' lifecycle (test/support/localServices.ts), with plain Node processes
 * standing in for DynamoDB Local and moto: nothing a start spawned outlives a failed start, a
 * stopped process is never waited for twice, and an ending run takes its services with it.
 */
import { type ChildProcess, execFile, spawn } from "node:child_process"
import { promisify } from "node:util"
import { afterEach, describe, expect, it } from "vitest"
import { ServiceGroup, startAll, stop, waitFor } from "../support/localServices.js"

const run = promisify(execFile)

const spawned: Array<ChildProcess> = []
/** A process that runs until it is stopped. */
const idle = () => {
  const child = spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)"], { stdio: "ignore" })
  spawned.push(child)
  return child
}
const running = (child: ChildProcess) => child.exitCode === null && child.signalCode === null
const alive = (pid: number) => {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

afterEach(() => {
  for (const child of spawned.splice(0)) if (running(child)) child.kill("SIGKILL")
})

describe("ServiceGroup and startAll", () => {
  it("when one service fails to start, a process another spawns after that is stopped too, and the failure is thrown", async () => {
    const group = new ServiceGroup()
    let fail!: () => void
    const failing = new Promise<void>((resolve) => {
      fail = resolve
    })
    const slowChildren: Array<ChildProcess> = []
    // Finds its port only once the other has failed (a macrotask later), then spawns and waits.
    const slow = async () => {
      await failing
      await new Promise((resolve) => setImmediate(resolve))
      const child = idle()
      group.push(child)
      slowChildren.push(child)
      await waitFor("slow service", () => Promise.reject(new Error("not ready")), child, 3_000, group.signal)
      return "http://slow"
    }
    const slowDone = slow()
    const broken = async () => {
      fail()
      throw new Error("moto failed to start")
    }
    await expect(startAll(group, [() => slowDone, broken])).rejects.toThrow("moto failed to start")
    // The slow start is over too (abandoned, not left polling), and its process is gone.
    await expect(slowDone).rejects.toThrow(/abandoned/)
    expect(slowChildren).toHaveLength(1)
    expect(running(slowChildren[0]!)).toBe(false)
  }, 10_000)

  it("returns every endpoint when all start", async () => {
    const group = new ServiceGroup()
    const child = idle()
    group.push(child)
    expect(await startAll(group, [async () => "http://a", async () => ""])).toEqual(["http://a", ""])
    expect(running(child)).toBe(true)
    await group.stopAll()
    expect(running(child)).toBe(false)
  }, 10_000)

  it("stop() returns at once for a process already gone, whether it exited or was killed by a signal", async () => {
    const killed = idle()
    await new Promise((resolve) => {
      killed.once("exit", resolve)
      killed.kill("SIGKILL")
    })
    await stop(killed)
    const exited = spawn(process.execPath, ["-e", "process.exit(3)"], { stdio: "ignore" })
    await new Promise((resolve) => exited.once("exit", resolve))
    await stop(exited)
  }, 5_000)

  it("a run that ends without stopping its services takes them with it", async () => {
    // A process that starts a service, registers it, and exits without stopping it.
    const script = [
      "import { spawn } from 'node:child_process'",
      "import { ServiceGroup } from './test/support/localServices.ts'",
      "const group = new ServiceGroup()",
      "const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' })",
      "group.push(child)",
      "console.log(child.pid)",
      "process.exit(1)"
    ].join("\n")
    const { stdout } = await run("node_modules/.bin/tsx", ["--input-type=module", "-e", script]).catch(
      (error: { stdout: string }) => ({ stdout: error.stdout })
    )
    const pid = Number(stdout.trim())
    expect(pid).toBeGreaterThan(0)
    // Killed as its parent exited; the kernel reaps it once init adopts it.
    await expect.poll(() => alive(pid), { timeout: 5_000 }).toBe(false)
  }, 20_000)
})
