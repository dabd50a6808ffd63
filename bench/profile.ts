/**
 * `npm run bench:profile` (issue 13, where time goes): CPU profiles (`node --cpu-prof`) of
 *
 * - the MCP bundle's cold start (import + first `/health`, `RUNS` fresh processes), its samples
 *   mapped back through the bundle's source map to the package or source file they came from
 *   (a build with the options of `scripts/bundle.mjs` less whitespace and name minifying, so
 *   that lines and names mean something);
 * - `dev` under the overhead load of `bench/overhead.ts` (the load's samples only, from every
 *   thread: the server's and its function workers').
 *
 * Prints self time by module (npm package, source file, or Node's own code) and the top
 * functions. The `.cpuprofile` files stay in a temporary directory (open them in Chrome DevTools
 * to look further); nothing is written to the repository.
 */
import { mkdtempSync, readdirSync, readFileSync, statSync } from "node:fs"
import { SourceMap } from "node:module"
import { tmpdir } from "node:os"
import { join, resolve } from "node:path"
import { fileURLToPath, pathToFileURL } from "node:url"
import { build } from "esbuild"
import { bundleOptions, HANDLERS } from "../scripts/bundle.mjs"
import { drive, serveDev } from "./overhead.js"
import { LAMBDA_ENV, runNode, stopServer } from "./support.js"

const RUNS = 3
/** The pause before and after the load on `dev`, which marks the load's samples. */
const PAUSE_MS = 1_000
const TOP = Number(process.env["BENCH_PROFILE_TOP"] ?? 15)
/** Sampling every 100 µs: a cold start is a second or less. */
const INTERVAL = ["--cpu-prof-interval", "100"]

interface CallFrame {
  readonly functionName: string
  readonly url: string
  readonly lineNumber: number
  readonly columnNumber: number
}
interface ProfileNode {
  readonly id: number
  readonly callFrame: CallFrame
  /** Samples by line (1-based) of the function's own code. */
  readonly positionTicks?: ReadonlyArray<{ readonly line: number; readonly ticks: number }>
}
interface Profile {
  /** µs, on the clock every thread of the process shares. */
  readonly startTime: number
  readonly nodes: ReadonlyArray<ProfileNode>
  readonly samples: ReadonlyArray<number>
  readonly timeDeltas: ReadonlyArray<number>
}

/** A bundle's source map and its lines (to find where each line's code starts). */
interface Bundled {
  readonly map: SourceMap
  readonly lines: ReadonlyArray<string>
}

/** Where code comes from: an npm package, a file of ours, or a path. */
const moduleOf = (path: string) => {
  const inPackage = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path)
  if (inPackage !== null) return inPackage[1]!
  const ours = /(?:^|\/)((?:src|dist|bench|examples)\/.*)$/.exec(path)
  return ours !== null ? ours[1]! : path
}

/** A file's path from its package or our root: `effect/dist/esm/internal/fiberRuntime.js`, `src/mcp/Catalog.ts`. */
const fileOf = (path: string) => /node_modules\/(.*)$/.exec(path)?.[1] ?? moduleOf(path)

/** The original source of a bundle position (0-based), or undefined where the map has nothing. */
const sourceAt = (bundled: Bundled, line: number, column: number) => {
  const entry = bundled.map.findEntry(line, column)
  return entry !== undefined && "originalSource" in entry ? entry.originalSource : undefined
}

/** When each sample was taken (µs, the profile's clock). */
const sampleTimes = (profile: Profile) => {
  let time = profile.startTime
  return profile.timeDeltas.map((delta) => (time += delta))
}

/**
 * When the load ran: between the first and the last idle pause of `PAUSE_MS` or more in the
 * main thread's profile (the bench pauses before and after its load), leaving out start-up and
 * shut-down. The times hold for the process's other threads too (`dev`'s function workers).
 */
const loadWindow = (profile: Profile): readonly [number, number] => {
  const idle = new Set(profile.nodes.filter((node) => node.callFrame.functionName === "(idle)").map((node) => node.id))
  const times = sampleTimes(profile)
  const pauses: Array<readonly [number, number]> = []
  let start = -1
  let length = 0
  profile.samples.forEach((id, i) => {
    if (idle.has(id)) {
      if (start < 0) start = i
      length += (profile.timeDeltas[i] ?? 0) / 1000
    } else {
      if (start >= 0 && length >= PAUSE_MS) pauses.push([start, i])
      start = -1
      length = 0
    }
  })
  if (pauses.length < 2) throw new Error("the profile has no idle pauses around the load")
  return [times[pauses[0]![1]]!, times[pauses.at(-1)![0]]!]
}

/** The main thread's profile: Node names each `CPU.<date>.<time>.<pid>.<thread>.<n>.cpuprofile`, the main thread 0. */
const MAIN_THREAD = /\.\d+\.0\.\d+\.cpuprofile$/

/**
 * Self time (ms) by module and by function, over every profile in `dir`. In a bundle (`bundles`,
 * by URL) a function's samples go to the sources of the lines they fell on (`positionTicks`):
 * the bundle's top level runs the top level of every module in it.
 */
const aggregate = (dir: string, bundles: ReadonlyMap<string, Bundled> = new Map(), window = false) => {
  const byModule = new Map<string, number>()
  const byFunction = new Map<string, number>()
  const add = (table: Map<string, number>, key: string, ms: number) => table.set(key, (table.get(key) ?? 0) + ms)
  let total = 0
  const files = readdirSync(dir).filter((name) => name.endsWith(".cpuprofile"))
  const read = (file: string) => JSON.parse(readFileSync(join(dir, file), "utf8")) as Profile
  const main = files.find((file) => MAIN_THREAD.test(file))
  const [from, to] = window && main !== undefined ? loadWindow(read(main)) : [-Infinity, Infinity]
  for (const file of files) {
    const profile = read(file)
    const self = new Map<number, number>()
    const times = sampleTimes(profile)
    profile.samples.forEach((id, i) => {
      if (times[i]! >= from && times[i]! <= to) self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000)
    })
    for (const node of profile.nodes) {
      const ms = self.get(node.id) ?? 0
      if (ms === 0) continue
      total += ms
      const { functionName, url, lineNumber, columnNumber } = node.callFrame
      if (url === "") {
        // A VM state: (garbage collector), (program), (idle).
        add(byModule, functionName, ms)
        add(byFunction, functionName, ms)
        continue
      }
      if (url.startsWith("node:")) {
        add(byModule, "node (built-in modules)", ms)
        add(byFunction, `${functionName || "(anonymous)"} — ${url}`, ms)
        continue
      }
      const bundled = bundles.get(url)
      const path = url.startsWith("file:") ? fileURLToPath(url) : url
      if (bundled === undefined) {
        add(byModule, moduleOf(path), ms)
        add(byFunction, `${functionName || "(anonymous)"} — ${fileOf(path)}:${lineNumber + 1}`, ms)
        continue
      }
      const ticks = node.positionTicks ?? []
      const all = ticks.reduce((sum, tick) => sum + tick.ticks, 0)
      const shares = all === 0
        ? [{ source: sourceAt(bundled, lineNumber, columnNumber), ms }]
        : ticks.map((tick) => {
          const text = bundled.lines[tick.line - 1] ?? ""
          return { source: sourceAt(bundled, tick.line - 1, text.length - text.trimStart().length), ms: (ms * tick.ticks) / all }
        })
      for (const share of shares) {
        const source = share.source ?? "(bundle code without a source)"
        add(byModule, moduleOf(source), share.ms)
        add(byFunction, `${functionName || "(top level)"} — ${fileOf(source)}`, share.ms)
      }
    }
  }
  return { byModule, byFunction, total }
}

const report = (title: string, runs: number, { byModule, byFunction, total }: ReturnType<typeof aggregate>) => {
  const top = (table: Map<string, number>) =>
    [...table].sort((a, b) => b[1] - a[1]).slice(0, TOP).map(([name, ms]) =>
      `    ${(ms / runs).toFixed(1).padStart(8)} ms ${((100 * ms) / total).toFixed(1).padStart(5)} %  ${name}`)
  console.log(`${title}: ${(total / runs).toFixed(0)} ms of samples per run`)
  console.log("  self time by module:")
  console.log(top(byModule).join("\n"))
  console.log("  self time by function:")
  console.log(top(byFunction).join("\n"))
  console.log("")
}

const coldStart = async () => {
  const dir = mkdtempSync(join(tmpdir(), "bench-prof-cold-"))
  // The MCP bundle as scripts/bundle.mjs builds it, but one statement a line: a profile counts
  // samples by line, and the real bundle is a hundred very long lines.
  const bundle = join(dir, "index.mjs")
  await build({ ...bundleOptions(resolve(HANDLERS.mcp!), dir), minify: false, minifySyntax: true, minifyIdentifiers: true })
  // What the shipped bundle loads at init is made of (compiling it is a large share of a cold
  // start): index.mjs and the chunks it imports statically, not those behind import().
  const shippedDir = join(dir, "shipped")
  const shipped = await build({ ...bundleOptions(resolve(HANDLERS.mcp!), shippedDir), metafile: true })
  const bytes = new Map<string, number>()
  // (Not every output with an entryPoint: esbuild counts each import()ed module as one.)
  const atInit = new Set(Object.keys(shipped.metafile.outputs).filter((file) => file.endsWith("/index.mjs")))
  for (const file of atInit) {
    const output = shipped.metafile.outputs[file]!
    for (const { kind, path } of output.imports) if (kind === "import-statement" && path.endsWith(".mjs")) atInit.add(path)
    for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
      const owner = input.startsWith("src/") ? "src (ours)" : moduleOf(input)
      bytes.set(owner, (bytes.get(owner) ?? 0) + bytesInOutput)
    }
  }
  const size = [...bytes.values()].reduce((sum, count) => sum + count, 0)
  console.log(`MCP bundle, what init loads (${(size / 1024).toFixed(0)} KiB of code in ${atInit.size} files) by package:`)
  for (const [name, count] of [...bytes].sort((a, b) => b[1] - a[1]).slice(0, TOP)) {
    console.log(`    ${(count / 1024).toFixed(0).padStart(6)} KiB ${((100 * count) / size).toFixed(1).padStart(5)} %  ${name}`)
  }
  console.log("")
  const script = `
    const { handler } = await import(${JSON.stringify(bundle)})
    await handler({ rawPath: "/health", headers: {}, requestContext: { http: { method: "GET" }, authorizer: { iam: { userArn: "arn:aws:iam::123456789012:user/bench", accountId: "123456789012" } } } }, { getRemainingTimeInMillis: () => 30000 })
  `
  const profiles = join(dir, "profiles")
  for (let run = 0; run < RUNS; run++) {
    await runNode(["--cpu-prof", "--cpu-prof-dir", profiles, ...INTERVAL, "--input-type=module", "-e", script], { ...process.env, ...LAMBDA_ENV })
  }
  // index.mjs and its chunks, each with its source map.
  const files = readdirSync(dir).filter((name) => name.endsWith(".mjs")).map((name) => join(dir, name))
  const bundled = new Map(files.map((file) => [pathToFileURL(file).href, {
    map: new SourceMap(JSON.parse(readFileSync(`${file}.map`, "utf8"))),
    lines: readFileSync(file, "utf8").split("\n")
  }]))
  report(
    `MCP bundle cold start (import + /health, ${RUNS} runs, a readable build of ${(statSync(bundle).size / 1024).toFixed(0)} KiB and its chunks; profiles in ${profiles})`,
    RUNS,
    aggregate(profiles, bundled)
  )
}

const devUnderLoad = async () => {
  const profiles = mkdtempSync(join(tmpdir(), "bench-prof-dev-"))
  const { child, url } = await serveDev(["--cpu-prof", "--cpu-prof-dir", profiles, ...INTERVAL])
  const pause = () => new Promise((resolve) => setTimeout(resolve, PAUSE_MS * 1.5))
  await pause()
  const figures = await drive(url)
  await pause()
  await stopServer(child, "SIGINT")
  report(
    `dev under the overhead load (${figures.throughput.toFixed(0)} req/s; start-up and shut-down left out; profile in ${profiles})`,
    1,
    aggregate(profiles, new Map(), true)
  )
}

// `npm run bench:profile -- cold` or `-- dev`: one of the two.
const only = process.argv[2]
if (only !== "dev") await coldStart()
if (only !== "cold") await devUnderLoad()
