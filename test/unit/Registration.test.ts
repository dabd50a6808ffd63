import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { parseLambdaArn } from "../../src/domain/LambdaArn.js"
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
          days: { type: "integer", optional: true, description: "How many days" },
          tags: { type: "array", items: "string" },
          where: { type: "object", properties: { lat: "number", lon: { type: "number", optional: true } } }
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
            days: { type: "integer", description: "How many days" },
            tags: { type: "array", items: { type: "string" } },
            where: {
              type: "object",
              properties: { lat: { type: "number" }, lon: { type: "number" } },
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
