#!/usr/bin/env node
/**
 * The `mcp-lambda-sam` command. On Node 22 and later, Node keeps the CLI's compiled code in its
 * compile cache (in the system's temporary directory) before anything else loads, so the next
 * start skips compiling it: `--help` 1090 → 960 ms of CPU here. Node 20 has no cache; it starts
 * as before. The command itself is `main.ts`.
 */
import module from "node:module"

;(module as { enableCompileCache?: () => unknown }).enableCompileCache?.()
await import("./main.js")
