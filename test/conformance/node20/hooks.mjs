const FS_WITH_GLOB = new URL("./fs.mjs", import.meta.url).href

export async function resolve(specifier, context, next) {
  const parent = context.parentURL ?? ""
  const fromConformance = parent.includes("/@modelcontextprotocol/conformance/") || parent.includes("/conformance-next/")
  if (fromConformance && (specifier === "fs" || specifier === "node:fs")) return { url: FS_WITH_GLOB, shortCircuit: true }
  return next(specifier, context)
}
