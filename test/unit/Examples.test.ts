import { mkdir, mkdtemp, rm } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Option } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { localSources, PACKAGED_EXAMPLES } from "../../src/cli/Examples.js"

let empty = ""
let clone = ""

beforeAll(async () => {
  empty = await mkdtemp(join(tmpdir(), "examples-empty-"))
  clone = await mkdtemp(join(tmpdir(), "examples-clone-"))
  await mkdir(join(clone, "examples", "functions"), { recursive: true })
})

afterAll(async () => {
  await rm(empty, { recursive: true, force: true })
  await rm(clone, { recursive: true, force: true })
})

describe("dev's functions and registrations", () => {
  it("are the packaged examples where the current directory has none, and the banner says so", () => {
    const sources = localSources(Option.none(), Option.none(), empty)
    expect(sources.functionsDir).toBe(join(PACKAGED_EXAMPLES, "functions"))
    expect(sources.seedFile).toBe(join(PACKAGED_EXAMPLES, "registrations.json"))
    expect(sources.bannerNote).toContain(`packaged with mcp-lambda-sam (${PACKAGED_EXAMPLES})`)
  })

  it("are the current directory's examples where it has them", () => {
    expect(localSources(Option.none(), Option.none(), clone)).toEqual({
      functionsDir: "examples/functions",
      seedFile: undefined,
      bannerNote: undefined
    })
  })

  it("follow --functions and --seed, and never mix in the packaged ones", () => {
    expect(localSources(Option.some("mine/functions"), Option.none(), empty)).toEqual({
      functionsDir: "mine/functions",
      seedFile: undefined,
      bannerNote: undefined
    })
    expect(localSources(Option.none(), Option.some("mine.json"), empty)).toEqual({
      functionsDir: undefined,
      seedFile: "mine.json",
      bannerNote: undefined
    })
  })
})
