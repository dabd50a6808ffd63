#!/usr/bin/env node
/**
 * The `mcp-lambda-sam` command. On Node 22 and later, Node keeps the CLI's compiled code in its
 * compile cache (in the system's temporary directory) before anything else loads, so the next
 * start skips compiling it (`--help` 1090 → 960 ms of CPU here); Node 20 has no cache. The
 * command is `main.ts`; a build runs it from one bundled module, `dist/bin/cli.mjs`
 * (`scripts/bundle.mjs`), which starts faster than its hundreds of modules do.
 */
import { existsSync } from "node:fs"
import module from "node:module"

;(module as { enableCompileCache?: () => unknown }).enableCompileCache?.()
const bundled = new URL("../bin/cli.mjs", import.meta.url)
await import(existsSync(bundled) ? bundled.href : "./main.js")
