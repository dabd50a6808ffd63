/** `npm run bench` writes its figures into bench/results.md: only between its markers, every verdict kept. */
import { readFileSync } from "node:fs"
import { describe, expect, it } from "vitest"
import { BEGIN, BENCHES, END, verdicts, withSection } from "../../bench/run.js"

describe("bench/run.ts", () => {
  it("replaces only the section between the markers, keeping the hand-written notes around it", () => {
    const document = `# Benchmark results\n\nintro\n\n${BEGIN}\nold figures\n${END}\n\n## Levers tried\n\nnotes\n`
    const written = withSection(document, "new figures\n")
    expect(written).toBe(`# Benchmark results\n\nintro\n\n${BEGIN}\nnew figures\n${END}\n\n## Levers tried\n\nnotes\n`)
    // Written again, the same place: no second section.
    expect(withSection(written, "newer")).toBe(`# Benchmark results\n\nintro\n\n${BEGIN}\nnewer\n${END}\n\n## Levers tried\n\nnotes\n`)
  })

  it("adds the section after the title when the document has no markers yet", () => {
    expect(withSection("# Title\nbody\n", "figures")).toBe(`# Title\n\n${BEGIN}\nfigures\n${END}\nbody\n`)
  })

  it("keeps every line that judges a target, met or missed, and nothing else", () => {
    const output = [
      "Cold start (import + first request)",
      "  mcp           size met   cold start 1.02× MISSED   peak RSS +7.3 MiB met",
      "  targets: p50 ≤ 50 ms met   p99 ≤ 150 ms met",
      "  metrics are printed here", // "metrics" is not a verdict
      "  ratio dev / reference: throughput 0.27 (≥ 1.0: MISSED)"
    ].join("\n")
    expect(verdicts(output)).toEqual([
      "mcp           size met   cold start 1.02× MISSED   peak RSS +7.3 MiB met",
      "targets: p50 ≤ 50 ms met   p99 ≤ 150 ms met",
      "ratio dev / reference: throughput 0.27 (≥ 1.0: MISSED)"
    ])
  })

  it("runs every benchmark script there is, and results.md carries the section's markers", () => {
    const scripts = ["bundles", "coldstart", "overhead", "dynamodb", "relay", "idle", "memory"]
    expect([...BENCHES]).toEqual(scripts)
    const results = readFileSync("bench/results.md", "utf8")
    expect(results.indexOf(BEGIN)).toBeGreaterThan(-1)
    expect(results.indexOf(END)).toBeGreaterThan(results.indexOf(BEGIN))
  })
})
