/** The README's environment table and the one defaults record say the same thing. */
import { readFileSync, readdirSync, statSync } from "node:fs"
import { join } from "node:path"
import { describe, expect, it } from "vitest"
import { DEFAULTS } from "../../src/Settings.js"

const readme = readFileSync("README.md", "utf8")
const section = readme.slice(readme.indexOf("### Environment variables"), readme.indexOf("### IAM permissions"))

/** Each row's variables with the default written for each (`a`, `b` pair up with `1`, `2`). */
const rows = new Map<string, string>()
for (const line of section.split("\n")) {
  const cells = line.split("|").map((cell) => cell.trim())
  if (cells.length < 4 || !cells[1]!.startsWith("`")) continue
  const names = [...cells[1]!.matchAll(/`([A-Z_]+)`/g)].map((match) => match[1]!)
  const values = [...cells[2]!.matchAll(/`([^`]*)`/g)].map((match) => match[1]!)
  names.forEach((name, index) => rows.set(name, values[index] ?? values[0] ?? cells[2]!))
}

const filesUnder = (dir: string): Array<string> =>
  readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    return statSync(path).isDirectory() ? filesUnder(path) : path.endsWith(".ts") ? [path] : []
  })

describe("Settings", () => {
  it("every default in the record is the README's", () => {
    for (const [name, value] of Object.entries(DEFAULTS)) {
      expect(rows.has(name), `${name} is in the README's table`).toBe(true)
      const written = rows.get(name)!
      expect(written, name).toBe(value === "" ? "none" : String(value))
    }
  })

  it("every variable the Lambda functions read is in the README's table", () => {
    const read = new Set<string>()
    for (const file of filesUnder("src").filter((path) => !path.includes(`${join("src", "cli")}`) && !path.includes("deploy"))) {
      for (const match of readFileSync(file, "utf8").matchAll(/(?:Config\.\w+|Settings\.integer|integer)\("([A-Z][A-Z0-9_]+)"\)/g)) {
        read.add(match[1]!)
      }
    }
    expect(read.size).toBeGreaterThan(8)
    for (const name of read) expect(rows.has(name), `${name} is documented`).toBe(true)
  })
})
