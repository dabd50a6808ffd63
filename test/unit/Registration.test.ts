import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { parseLambdaArn } from "../../src/domain/LambdaArn.js"
import { decodeRegistration, idOf, specOf } from "../../src/domain/Registration.js"
import { decodeRegistrationInput } from "../../src/domain/RegistrationInput.js"
import { arn } from "../support/fixtures.js"

const problems = (input: unknown) =>
  Effect.map(Effect.flip(decodeRegistrationInput(input)), (error) =>
    error.problems.map((problem) => ({ path: problem.path, message: problem.message }))
  )

const tool = { type: "tool", name: "weather", description: "Forecasts", lambdaArn: arn("weather") }

describe("Registration input", () => {
  it.effect("accepts the original API's body and converts the shorthand to JSON Schema", () =>
    Effect.gen(function* () {
      const spec = yield* decodeRegistrationInput({
        type: "tool",
        name: "weather",
        description: "Get the weather for a city",
        lambdaArn: "arn:aws:lambda:eu-west-1:123456789012:function:weather",
        parameters: {
          city: "string",
          days: { type: "integer", optional: true, description: "How many days", minimum: 1, maximum: 16 },
          tags: { type: "array", items: "string" },
          where: { type: "object", properties: { lat: { type: "number", minimum: -90, maximum: 90 }, lon: { type: "number", optional: true } } }
        }
      })
      expect(spec).toEqual({
        type: "tool",
        name: "weather",
        description: "Get the weather for a city",
        lambdaArn: "arn:aws:lambda:eu-west-1:123456789012:function:weather",
        inputSchema: {
          type: "object",
          properties: {
            city: { type: "string" },
            days: { type: "integer", description: "How many days", minimum: 1, maximum: 16 },
            tags: { type: "array", items: { type: "string" } },
            where: {
              type: "object",
              properties: { lat: { type: "number", minimum: -90, maximum: 90 }, lon: { type: "number" } },
              required: ["lat"]
            }
          },
          required: ["city", "tags", "where"]
        }
      })
    }))

  it.effect("a tool without parameters takes no arguments", () =>
    Effect.gen(function* () {
      const spec = yield* decodeRegistrationInput(tool)
      expect(spec).toMatchObject({ inputSchema: { type: "object", properties: {} } })
    }))

  it.effect("keeps inputSchema, outputSchema, title and annotations as given", () =>
    Effect.gen(function* () {
      const inputSchema = {
        $schema: "http://json-schema.org/draft-07/schema#",
        type: "object",
        properties: { q: { type: "string", minLength: 1 } },
        required: ["q"]
      }
      const outputSchema = { type: "object", properties: { answer: { type: "string" } } }
      const annotations = { title: "Search", readOnlyHint: true, openWorldHint: false }
      const spec = yield* decodeRegistrationInput({ ...tool, title: "Weather", inputSchema, outputSchema, annotations })
      expect(spec).toMatchObject({ title: "Weather", inputSchema, outputSchema, annotations })
    }))

  it.effect("prompt shorthand becomes arguments", () =>
    Effect.gen(function* () {
      const spec = yield* decodeRegistrationInput({
        type: "prompt",
        name: "summarise",
        description: "Summarise a text",
        lambdaArn: arn("summarise"),
        parameters: { text: "string", tone: { type: "string", optional: true, description: "Formal or casual" } },
        completions: { tone: ["formal", "casual"] }
      })
      expect(spec).toMatchObject({
        arguments: [
          { name: "text", required: true },
          { name: "tone", required: false, description: "Formal or casual" }
        ],
        completions: { tone: ["formal", "casual"] }
      })
    }))

  it.effect("resources take a uri or a uriTemplate", () =>
    Effect.gen(function* () {
      const base = { type: "resource", name: "notes", description: "Notes", lambdaArn: arn("notes") }
      expect(yield* decodeRegistrationInput({ ...base, uri: "file:///notes.txt", mimeType: "text/plain" })).toMatchObject({
        uri: "file:///notes.txt",
        mimeType: "text/plain"
      })
      expect(yield* decodeRegistrationInput({ ...base, uriTemplate: "notes://{id}", completions: { id: ["1", "2"] } }))
        .toMatchObject({ uriTemplate: "notes://{id}" })
    }))

  describe("rejects each invalid field with a precise message", () => {
    const cases: ReadonlyArray<readonly [string, unknown, { path: string; message: RegExp }]> = [
      ["not an object", [1, 2], { path: "", message: /JSON object/ }],
      ["an unknown type", { ...tool, type: "agent" }, { path: "type", message: /one of "tool", "resource", "prompt"/ }],
      ["a name with spaces", { ...tool, name: "get weather" }, { path: "name", message: /1–64 characters/ }],
      ["a name over 64 characters", { ...tool, name: "x".repeat(65) }, { path: "name", message: /1–64 characters/ }],
      ["a missing name", { type: "tool", description: "d", lambdaArn: arn("x") }, { path: "name", message: /required/ }],
      ["a missing description", { ...tool, description: undefined }, { path: "description", message: /string/ }],
      ["an empty title", { ...tool, title: "" }, { path: "title", message: /empty/ }],
      ["a bare ARN prefix", { ...tool, lambdaArn: "arn:aws:lambda:" }, { path: "lambdaArn", message: /Lambda function ARN/ }],
      ["an S3 ARN", { ...tool, lambdaArn: "arn:aws:s3:us-east-1:123456789012:function:x" }, {
        path: "lambdaArn",
        message: /not 'lambda'/
      }],
      ["a short account id", { ...tool, lambdaArn: "arn:aws:lambda:us-east-1:1234:function:x" }, {
        path: "lambdaArn",
        message: /12-digit/
      }],
      ["a bad region", { ...tool, lambdaArn: "arn:aws:lambda:moon:123456789012:function:x" }, {
        path: "lambdaArn",
        message: /region/
      }],
      ["a layer ARN", { ...tool, lambdaArn: "arn:aws:lambda:us-east-1:123456789012:layer:x" }, {
        path: "lambdaArn",
        message: /must name a function/
      }],
      ["a bad qualifier", { ...tool, lambdaArn: `${arn("x")}:bad.alias` }, { path: "lambdaArn", message: /qualifier/ }],
      ["both inputSchema and parameters", { ...tool, inputSchema: { type: "object" }, parameters: { a: "string" } }, {
        path: "parameters",
        message: /not both/
      }],
      ["an inputSchema that is not an object schema", { ...tool, inputSchema: { type: "string" } }, {
        path: "inputSchema.type",
        message: /"object"/
      }],
      ["an inputSchema that breaks the meta-schema", {
        ...tool,
        inputSchema: { type: "object", properties: { a: { type: "strng" } } }
      }, { path: "inputSchema.properties.a.type", message: /not a valid JSON Schema/ }],
      ["an unknown $schema", { ...tool, inputSchema: { $schema: "https://example.com/s", type: "object" } }, {
        path: "inputSchema.$schema",
        message: /draft 2020-12 or draft-07/
      }],
      ["a shorthand with an unknown type", { ...tool, parameters: { a: "text" } }, {
        path: "parameters.a",
        message: /must be one of "string", "number", "integer", "boolean", "object", "array", not "text"/
      }],
      ["a shorthand array with a bad item type", { ...tool, parameters: { a: { type: "array", items: "txt" } } }, {
        path: "parameters.a.items",
        message: /not "txt"/
      }],
      ["a shorthand with a non-boolean optional", { ...tool, parameters: { a: { type: "string", optional: "yes" } } }, {
        path: "parameters.a.optional",
        message: /true or false/
      }],
      ["shorthand properties on a string", { ...tool, parameters: { a: { type: "string", properties: {} } } }, {
        path: "parameters.a.properties",
        message: /only for "object"/
      }],
      ["a shorthand bound on a string", { ...tool, parameters: { a: { type: "string", maximum: 3 } } }, {
        path: "parameters.a.maximum",
        message: /only for "number" and "integer"/
      }],
      ["a shorthand bound that is not a number", { ...tool, parameters: { a: { type: "integer", minimum: "1" } } }, {
        path: "parameters.a.minimum",
        message: /must be a number/
      }],
      ["a shorthand maximum below its minimum", { ...tool, parameters: { a: { type: "number", minimum: 2, maximum: 1 } } }, {
        path: "parameters.a.maximum",
        message: /must not be below minimum/
      }],
      ["an unknown annotation type", { ...tool, annotations: { readOnlyHint: "yes" } }, {
        path: "annotations.readOnlyHint",
        message: /boolean/
      }],
      ["an unknown field", { ...tool, colour: "blue" }, { path: "colour", message: /not a known field/ }],
      ["a resource with neither uri nor template", {
        type: "resource",
        name: "r",
        description: "d",
        lambdaArn: arn("r")
      }, { path: "uri", message: /uri or a uriTemplate/ }],
      ["a resource with both", {
        type: "resource",
        name: "r",
        description: "d",
        lambdaArn: arn("r"),
        uri: "file:///a",
        uriTemplate: "file:///{a}"
      }, { path: "uriTemplate", message: /not both/ }],
      ["a relative uri", { type: "resource", name: "r", description: "d", lambdaArn: arn("r"), uri: "notes.txt" }, {
        path: "uri",
        message: /absolute URI/
      }],
      ["a template without variables", {
        type: "resource",
        name: "r",
        description: "d",
        lambdaArn: arn("r"),
        uriTemplate: "file:///a"
      }, { path: "uriTemplate", message: /\{variable\}/ }],
      ["completions for an unknown variable", {
        type: "resource",
        name: "r",
        description: "d",
        lambdaArn: arn("r"),
        uriTemplate: "notes://{id}",
        completions: { other: ["x"] }
      }, { path: "completions.other", message: /not a variable/ }],
      ["a bad MIME type", {
        type: "resource",
        name: "r",
        description: "d",
        lambdaArn: arn("r"),
        uri: "file:///a",
        mimeType: "text"
      }, { path: "mimeType", message: /MIME type/ }],
      ["a prompt argument named twice", {
        type: "prompt",
        name: "p",
        description: "d",
        lambdaArn: arn("p"),
        arguments: [{ name: "a" }, { name: "a" }]
      }, { path: "arguments", message: /twice/ }],
      ["a prompt with arguments and parameters", {
        type: "prompt",
        name: "p",
        description: "d",
        lambdaArn: arn("p"),
        arguments: [],
        parameters: { a: "string" }
      }, { path: "parameters", message: /not both/ }],
      ["parameters on a resource", {
        type: "resource",
        name: "r",
        description: "d",
        lambdaArn: arn("r"),
        uri: "file:///a",
        parameters: { a: "string" }
      }, { path: "parameters", message: /not a known field/ }]
    ]
    for (const [label, input, expected] of cases) {
      it.effect(label, () =>
        Effect.gen(function* () {
          const found = yield* problems(input)
          expect(found).toContainEqual({ path: expected.path, message: expect.stringMatching(expected.message) })
        }))
    }
  })

  it.effect("reports every problem at once", () =>
    Effect.gen(function* () {
      const found = yield* problems({ type: "tool", name: "bad name", description: 3, lambdaArn: "nope" })
      expect(found.map((problem) => problem.path).sort()).toEqual(["description", "lambdaArn", "name"])
    }))
})

describe("what a registration may hold", () => {
  const resource = { type: "resource", name: "notes", description: "Notes", lambdaArn: arn("notes") }
  const prompt = { type: "prompt", name: "p", description: "d", lambdaArn: arn("p") }
  const accepted = (input: unknown) => Effect.map(decodeRegistrationInput(input), () => "accepted")
  const refusal = (input: unknown) =>
    Effect.map(problems(input), (found) => found.map((problem) => `${problem.path}: ${problem.message}`))
  // The rule's own words, and nothing else: an optional field that fails its rule is not also
  // reported as "Expected undefined, actual …" (the union's other member).
  const ruleBroken = refusal

  it.effect("a name of 1 to 64 letters, digits, '_', '-' and '.', nothing else", () =>
    Effect.gen(function* () {
      const rule = "name: must be 1–64 characters, each a letter, digit, '_', '-' or '.'"
      for (const name of ["a", "AZaz09_.-", "x".repeat(64), "Z", "9", "-lead", "trail."]) {
        expect(yield* accepted({ ...tool, name })).toBe("accepted")
      }
      for (const name of ["", "x".repeat(65), "a b", "a/b", "wëather", "a:b", "a\nb"]) {
        expect(yield* refusal({ ...tool, name })).toEqual([rule])
      }
    }))

  it.effect("a body that is null or a string is not a registration", () =>
    Effect.gen(function* () {
      for (const input of [null, "tool", 7]) {
        expect(yield* refusal(input)).toEqual([": a registration must be a JSON object"])
      }
    }))

  it.effect("icons are https: URLs or data:image/ URIs", () =>
    Effect.gen(function* () {
      const icons = [{ src: "https://example.com/i.png", mimeType: "image/png", sizes: ["48x48"], theme: "dark" }, {
        src: "data:image/svg+xml;base64,PHN2Zy8+"
      }]
      expect(yield* decodeRegistrationInput({ ...tool, icons })).toMatchObject({ icons })
      for (const src of ["http://example.com/i.png", "see https://example.com/i.png", "data:text/html,<b>", "file:///i.png"]) {
        expect(yield* ruleBroken({ ...tool, icons: [{ src }] })).toEqual(["icons.0.src: must be an https: URL or a data:image/ URI"])
      }
    }))

  it.effect("a resource uri is absolute, without spaces, and at most 8192 characters", () =>
    Effect.gen(function* () {
      for (const uri of ["file:///notes.txt", "x:", "urn:isbn:0451450523", "a+b.c-d://h/p?q", `https://h/${"a".repeat(8182)}`]) {
        expect(yield* accepted({ ...resource, uri })).toBe("accepted")
      }
      for (const uri of ["notes.txt", "1x://a", "file:///a b", " file:///a", "://a", "-x:a"]) {
        expect(yield* ruleBroken({ ...resource, uri })).toEqual(["uri: must be an absolute URI such as file:///notes.txt"])
      }
      expect(yield* ruleBroken({ ...resource, uri: `https://h/${"a".repeat(8183)}` })).toEqual([
        "uri: must be at most 8192 characters"
      ])
      expect(yield* ruleBroken({ ...resource, uriTemplate: `https://h/{id}${"a".repeat(8179)}` })).toEqual([
        "uriTemplate: must be at most 8192 characters"
      ])
    }))

  it.effect("a uriTemplate that does not parse is refused with the parser's reason", () =>
    Effect.gen(function* () {
      expect(yield* ruleBroken({ ...resource, uriTemplate: "notes://{id}/{rest" })).toEqual([
        "uriTemplate: is not a valid RFC 6570 URI template: Unclosed template expression"
      ])
    }))

  it.effect("a MIME type is type/subtype, parameters allowed", () =>
    Effect.gen(function* () {
      const base = { ...resource, uri: "file:///a" }
      for (const mimeType of ["text/plain", "text/plain; charset=utf-8", "application/vnd.api+json", "image/svg+xml"]) {
        expect(yield* accepted({ ...base, mimeType })).toBe("accepted")
      }
      for (const mimeType of ["text", "text/", "/plain", "text/plain extra", " text/plain", "text/pl ain"]) {
        expect(yield* ruleBroken({ ...base, mimeType })).toEqual(["mimeType: must be a MIME type such as text/plain"])
      }
    }))

  it.effect("completions name variables of the uriTemplate (none for a fixed uri), or are \"function\"", () =>
    Effect.gen(function* () {
      expect(yield* accepted({ ...resource, uriTemplate: "notes://{a}/{b}", completions: { a: [], b: ["x"] } })).toBe(
        "accepted"
      )
      expect(yield* accepted({ ...resource, uriTemplate: "notes://{a}", completions: "function" })).toBe("accepted")
      expect(yield* refusal({ ...resource, uri: "file:///a", completions: { a: ["x"] } })).toEqual([
        "completions.a: is not a variable of the uriTemplate"
      ])
    }))

  it.effect("prompt completions name its arguments; each argument has a name", () =>
    Effect.gen(function* () {
      const args = [{ name: "text", required: true }, { name: "tone" }]
      expect(yield* accepted({ ...prompt, arguments: args, completions: { tone: ["formal"] } })).toBe("accepted")
      expect(yield* accepted({ ...prompt, arguments: args, completions: "function" })).toBe("accepted")
      expect(yield* refusal({ ...prompt, arguments: args, completions: { tone: [], mood: ["calm"], text: [] } })).toEqual([
        "completions.mood: is not a prompt argument"
      ])
      expect(yield* refusal({ ...prompt, arguments: [{ name: "" }] })).toEqual(["arguments.0.name: must not be empty"])
      expect(yield* refusal({ ...prompt, arguments: [{ name: "a" }, { name: "b" }, { name: "b" }] })).toEqual([
        "arguments: names 'b' twice"
      ])
    }))

  it.effect("taskStart only on a tool that may run as a task", () =>
    Effect.gen(function* () {
      const refused = "taskStart: applies only to a tool whose taskSupport is \"optional\" or \"required\""
      expect(yield* refusal({ ...tool, taskStart: "function" })).toEqual([refused])
      expect(yield* refusal({ ...tool, taskSupport: "forbidden", taskStart: "immediate" })).toEqual([refused])
      expect(yield* accepted({ ...tool, taskSupport: "optional", taskStart: "function" })).toBe("accepted")
      expect(yield* accepted({ ...tool, taskSupport: "required", taskStart: "immediate" })).toBe("accepted")
      expect(yield* accepted({ ...tool, taskSupport: "forbidden" })).toBe("accepted")
    }))
})

describe("stored registrations", () => {
  const stored = {
    ...tool,
    inputSchema: { type: "object" },
    id: "tool-weather",
    version: 3,
    createdAt: "2026-01-01T00:00:00.000Z",
    updatedAt: "2026-01-02T00:00:00.000Z",
    createdBy: "alice",
    updatedBy: "bob"
  }

  it.effect("decode with their bookkeeping; the spec is the definition without it", () =>
    Effect.gen(function* () {
      const registration = yield* decodeRegistration(stored)
      expect(registration).toEqual(stored)
      expect(specOf(registration)).toEqual({ ...tool, inputSchema: { type: "object" } })
      expect(idOf(specOf(registration))).toBe("tool-weather")
    }))

  it.effect("an item whose id or version is not one a store writes does not decode", () =>
    Effect.gen(function* () {
      for (const bad of [
        { id: "agent-weather" },
        { id: "tool-" },
        { id: "tool-bad name" },
        { id: "xtool-weather" },
        { id: `tool-${"x".repeat(65)}` },
        { version: 0 },
        { version: 1.5 }
      ]) {
        expect((yield* Effect.either(decodeRegistration({ ...stored, ...bad })))._tag).toBe("Left")
      }
      expect((yield* Effect.either(decodeRegistration({ ...stored, id: "tool-AZaz09_.-" })))._tag).toBe("Right")
      expect((yield* Effect.either(decodeRegistration({ ...stored, id: `tool-${"x".repeat(64)}` })))._tag).toBe("Right")
      for (const id of ["resource-a.b", "prompt-A_Z-09"]) {
        const type = id.split("-")[0]!
        const item = type === "resource"
          ? { ...stored, type, id, uri: "file:///a", inputSchema: undefined }
          : { ...stored, type, id, arguments: [], inputSchema: undefined }
        const { inputSchema: _, ...rest } = item
        expect((yield* Effect.either(decodeRegistration(rest)))._tag).toBe("Right")
      }
    }))
})

describe("Lambda ARNs", () => {
  it("parses every part, with or without a qualifier", () => {
    expect(parseLambdaArn("arn:aws:lambda:us-east-1:123456789012:function:my-fn")).toEqual({
      partition: "aws",
      region: "us-east-1",
      accountId: "123456789012",
      functionName: "my-fn",
      qualifier: undefined
    })
    expect(parseLambdaArn("arn:aws-us-gov:lambda:us-gov-west-1:123456789012:function:f:$LATEST")).toMatchObject({
      partition: "aws-us-gov",
      qualifier: "$LATEST"
    })
    expect(parseLambdaArn("arn:aws-cn:lambda:cn-north-1:123456789012:function:f:42")).toMatchObject({ qualifier: "42" })
    expect(parseLambdaArn("arn:aws:lambda:eu-central-1:123456789012:function:f:live")).toMatchObject({ qualifier: "live" })
  })
})
