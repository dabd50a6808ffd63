/**
 * How the Lambda hosts build their services (`src/hosts/Services.ts`): a context built
 * service by service, a runtime that logs JSON lines from `LOG_LEVEL` up, built once per
 * container — and built again after a failure, never kept failed.
 */
import { Context, Effect, LogLevel, Option, Runtime } from "effect"
import { afterEach, describe, expect, it, vi } from "vitest"
import { add, addOption, containerRuntime, runtimeOf } from "../../src/hosts/Services.js"

class Greeting extends Context.Tag("test/Greeting")<Greeting, string>() {}
class Loud extends Context.Tag("test/Loud")<Loud, string>() {}
class Optional extends Context.Tag("test/Optional")<Optional, number>() {}

const services = add(Greeting, Effect.succeed("hello"))(Context.empty()).pipe(
  Effect.flatMap(add(Loud, Effect.map(Greeting, (greeting) => greeting.toUpperCase()))),
  Effect.flatMap(addOption(Optional, Effect.succeed(Option.none<number>())))
)

afterEach(() => {
  vi.restoreAllMocks()
})

describe("the Lambda hosts' services", () => {
  it("are built one after another, each from those before it; an absent optional service is not there", async () => {
    const context = await Effect.runPromise(Effect.scoped(services))
    expect(Context.get(context, Loud)).toBe("HELLO")
    expect(Context.getOption(context as Context.Context<unknown>, Optional)).toEqual(Option.none())
    const withOptional = await Effect.runPromise(addOption(Optional, Effect.succeed(Option.some(7)))(context))
    expect(Context.getOption(withOptional as Context.Context<unknown>, Optional)).toEqual(Option.some(7))
  })

  it("run with one JSON log line per entry, from the minimum level up", async () => {
    const lines: Array<string> = []
    vi.spyOn(console, "log").mockImplementation((line: unknown) => void lines.push(String(line)))
    const runtime = await Effect.runPromise(Effect.scoped(runtimeOf(services, Effect.succeed(LogLevel.Warning))))
    await Runtime.runPromise(runtime)(Effect.gen(function* () {
      yield* Effect.logInfo("not shown")
      yield* Effect.logWarning(`said ${yield* Loud}`)
    }))
    expect(lines).toHaveLength(1)
    expect(JSON.parse(lines[0]!)).toMatchObject({ message: "said HELLO", logLevel: "WARN" })
  })

  it("are built once per container, however many requests come first, and built again after a failure", async () => {
    let builds = 0
    let failing = true
    const counted = Effect.suspend(() => {
      builds++
      return failing ? Effect.fail("no table name") : services
    })
    const runtime = containerRuntime("test", counted, Effect.succeed(LogLevel.Info))
    await expect(Promise.all([runtime(), runtime()])).rejects.toThrow(/The test's services could not be built: .*no table name/s)
    expect(builds).toBe(1)
    failing = false
    const [first, second] = await Promise.all([runtime(), runtime()])
    expect(first).toBe(second)
    expect(await runtime()).toBe(first)
    expect(builds).toBe(2)
    expect(await Runtime.runPromise(first!)(Loud)).toBe("HELLO")
  })

  it("release what a failed build acquired before the next build", async () => {
    const released: Array<number> = []
    let attempt = 0
    const build = Effect.gen(function* () {
      const mine = ++attempt
      yield* Effect.acquireRelease(Effect.void, () => Effect.sync(() => void released.push(mine)))
      if (mine === 1) return yield* Effect.fail("the table is missing")
      return yield* services
    })
    const runtime = containerRuntime("test", build, Effect.succeed(LogLevel.Info))
    await expect(runtime()).rejects.toThrow(/table is missing/)
    expect(released).toEqual([1])
    await runtime()
    // The working build's resources live as long as the container.
    expect(released).toEqual([1])
  })
})
