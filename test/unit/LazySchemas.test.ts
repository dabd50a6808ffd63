/**
 * Schemas built on first use (`lazySchema`) nest each other's `built()` schemas, never the
 * suspend itself: a nested suspend prints as `<suspended schema>` in the error texts clients and
 * registrants read. This walks every exported one, so a new schema cannot forget it.
 */
import type { SchemaAST } from "effect"
import { describe, expect, it } from "vitest"
import * as JsonRpc from "../../src/domain/JsonRpc.js"
import * as Mcp from "../../src/domain/Mcp.js"
import * as Modern from "../../src/domain/Modern.js"
import * as Registration from "../../src/domain/Registration.js"
import * as Session from "../../src/domain/Session.js"
import * as Task from "../../src/domain/Task.js"
import * as FunctionStream from "../../src/mcp/FunctionStream.js"
import * as InputRounds from "../../src/mcp/InputRounds.js"
import * as ModernRounds from "../../src/mcp/ModernRounds.js"

/** The paths (in the schema) of every suspend nested in `ast`. */
const nestedSuspends = (ast: SchemaAST.AST, path = "", seen = new Set<SchemaAST.AST>()): Array<string> => {
  if (seen.has(ast)) return []
  seen.add(ast)
  const inner = (child: SchemaAST.AST, at: string) => nestedSuspends(child, at, seen)
  switch (ast._tag) {
    case "Suspend":
      return [path || "(root)"]
    case "TypeLiteral":
      return [
        ...ast.propertySignatures.flatMap((property) => inner(property.type, `${path}.${String(property.name)}`)),
        ...ast.indexSignatures.flatMap((index) => inner(index.type, `${path}[*]`))
      ]
    case "Union":
      return ast.types.flatMap((member, index) => inner(member, `${path}|${index}`))
    case "TupleType":
      return [...ast.elements.map((element) => element.type), ...ast.rest.map((rest) => rest.type)].flatMap((element) => inner(element, `${path}[]`))
    case "Refinement":
      return inner(ast.from, path)
    case "Transformation":
      return [...inner(ast.from, path), ...inner(ast.to, path)]
    case "Declaration":
      return ast.typeParameters.flatMap((parameter) => inner(parameter, path))
    default:
      return []
  }
}

const lazyExports = Object.entries({ JsonRpc, Mcp, Modern, Registration, Session, Task, FunctionStream, InputRounds, ModernRounds }).flatMap(
  ([module, exports]) =>
    Object.entries(exports as Record<string, unknown>).flatMap(([name, value]) =>
      typeof value === "function" && "built" in value && typeof value.built === "function"
        ? [{ name: `${module}.${name}`, built: value.built as () => { readonly ast: SchemaAST.AST } }]
        : [])
)

describe("schemas built on first use", () => {
  it("are found in every module that declares them (the walk below covers them)", () => {
    expect(lazyExports.length).toBeGreaterThanOrEqual(60)
    expect(lazyExports.map((entry) => entry.name)).toEqual(expect.arrayContaining(["Mcp.CallToolResult", "Registration.Registration", "JsonRpc.JsonRpcMessage"]))
  })

  it("nest built schemas only: no suspend inside any of them", () => {
    const offenders = lazyExports.flatMap(({ name, built }) => nestedSuspends(built().ast).map((path) => `${name}${path}`))
    expect(offenders).toEqual([])
  })
})
