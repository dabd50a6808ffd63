/**
 * `npm run package:sar`: writes dist/sar/template.yaml, the Serverless Application Repository
 * variant of template.yaml (no Function URLs, no security group: see src/deploy/Sar.ts), next to
 * the bundles it points at (dist/lambda).
 */
import { mkdir, readFile, writeFile } from "node:fs/promises"
import { resourceTypes, sarTemplate } from "../src/deploy/Sar.js"

const text = await readFile("template.yaml", "utf8")
const variant = sarTemplate(text).replace(/CodeUri: dist\/lambda\/([\w-]+)\//g, "CodeUri: ../lambda/$1/")
await mkdir("dist/sar", { recursive: true })
await writeFile("dist/sar/template.yaml", variant)
console.log(`dist/sar/template.yaml: ${resourceTypes(variant).join(", ")}`)
