/**
 * The Serverless Application Repository variant: generated from template.yaml, clean under
 * cfn-lint, and every resource type — before and after the SAM expansion — on SAR's list
 * (sar/supported-resources.json).
 */
import { execFile } from "node:child_process"
import { mkdtemp, readFile, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { promisify } from "node:util"
import { beforeAll, describe, expect, it } from "vitest"
import { resourceTypes, sarTemplate } from "../../src/deploy/Sar.js"
import { toolAvailable } from "../support/ci.js"
import type { Json } from "../support/json.js"

const run = promisify(execFile)

describe("SAR variant of template.yaml", () => {
  let variant = ""
  let path = ""
  let supported: ReadonlySet<string> = new Set()

  beforeAll(async () => {
    variant = sarTemplate(await readFile("template.yaml", "utf8"))
    path = join(await mkdtemp(join(tmpdir(), "sar-")), "template.yaml")
    await writeFile(path, variant)
    supported = new Set((JSON.parse(await readFile("sar/supported-resources.json", "utf8")) as { types: Array<string> }).types)
  })

  it("keeps the tables and functions, and drops what SAR refuses", () => {
    expect(resourceTypes(variant)).toEqual(["AWS::DynamoDB::Table", "AWS::Lambda::Permission", "AWS::Logs::LogGroup", "AWS::Serverless::Function"])
    expect(variant).not.toMatch(/FunctionUrlConfig|FunctionSecurityGroup|McpFunctionUrl/)
    expect(variant).toMatch(/McpFunctionName:/)
    expect(variant).toMatch(/SecurityGroupIds:/)
  })

  it("declares only supported resource types", () => {
    for (const type of resourceTypes(variant)) expect(supported, type).toContain(type)
    // The main template is not publishable as it is: that is why the variant exists.
    expect(supported.has("AWS::Lambda::Url")).toBe(false)
  })

  it.skipIf(!toolAvailable("cfn-lint", ["--version"]))("is clean under cfn-lint", async () => {
    // Findings go to stdout with a non-zero exit; a crash may leave stdout empty: both must fail.
    const result = await run("cfn-lint", [path]).then(
      ({ stdout }) => ({ code: 0, stdout, stderr: "" }),
      (error: { code: number; stdout: string; stderr: string }) => ({ code: error.code, stdout: error.stdout, stderr: error.stderr })
    )
    expect(result.stdout).toBe("")
    expect(result.code, result.stderr).toBe(0)
  }, 60_000)

  it.skipIf(!toolAvailable("python3", ["-c", "import samtranslator"]))("expands into supported resource types only", async () => {
    const { stdout } = await run("python3", ["test/template/sam_translate.py", path], { maxBuffer: 16 * 1024 * 1024 })
    const expanded = JSON.parse(stdout) as Json
    const types = [...new Set(Object.values(expanded.Resources as Record<string, { Type: string }>).map((r) => r.Type))].sort()
    // Permissions: the public grants of McpAuth=OAUTH, ready for the URL a SAR user adds.
    expect(types).toEqual(["AWS::DynamoDB::Table", "AWS::IAM::Role", "AWS::Lambda::Function", "AWS::Lambda::Permission", "AWS::Logs::LogGroup"])
    for (const type of types) expect(supported, type).toContain(type)
  }, 60_000)
})
