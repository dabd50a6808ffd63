/** URI-template matching on RE2: the MCP SDK's variables, in time linear in the URI. */
import { UriTemplate } from "@modelcontextprotocol/sdk/shared/uriTemplate.js"
import { describe, expect, it } from "vitest"
import { withinSteps } from "../../src/domain/LinearRegExp.js"
import { matchTemplate } from "../../src/mcp/TemplateMatch.js"

const CASES: ReadonlyArray<readonly [string, ReadonlyArray<string>]> = [
  ["notes://{id}", ["notes://1", "notes://a/b", "notes://", "notes://a,b", "other://1", "notes://1?x=2"]],
  ["repo://{owner}-{name}", ["repo://a-b", "repo://a-b-c", "repo://-b", "repo://ab", "repo://a-b/c"]],
  ["file:///{+path}", ["file:///a/b/c.txt", "file:///", "file:///a,b"]],
  ["docs://{lang}/{page}.md", ["docs://en/intro.md", "docs://en/a.b.md", "docs://en/.md"]],
  ["db://tables{/table*}", ["db://tables/users", "db://tables/a,b", "db://tables"]],
  ["list://{ids*}", ["list://1,2,3", "list://1", "list://1,,2"]],
  ["search://q{?term,limit}", ["search://q?term=x&limit=5", "search://q?term=x", "search://q?limit=1&term=2"]],
  ["api://v1{&page}", ["api://v1&page=2", "api://v1"]],
  ["host://{host}{.ext}", ["host://example.com", "host://example.json"]],
  ["anchor://page{#section}", ["anchor://page#intro", "anchor://page"]],
  ["odd://[{x}](y)+{z}?", ["odd://[1](y)+2?", "odd://[1](y)2"]]
]

describe("matchTemplate", () => {
  it("finds the variables the MCP SDK finds, for every operator", () => {
    for (const [template, uris] of CASES) {
      for (const uri of uris) {
        expect(matchTemplate(template, uri), `${template} ~ ${uri}`).toEqual(new UriTemplate(template).match(uri))
      }
    }
  })

  it("matches a 150 KB URI against {owner}-{name} in linear time (the SDK's RegExp is quadratic)", () => {
    // Requests carry at most 8 KB of URI; a budget big enough for 150 KB shows the time is linear.
    const started = performance.now()
    const [missed, matched] = withinSteps(1e9, () => [
      matchTemplate("repo://{owner}-{name}", `repo://${"a-".repeat(75_000)}/`),
      matchTemplate("repo://{owner}-{name}", `repo://${"a-".repeat(75_000)}b`)
    ])
    const elapsed = performance.now() - started
    expect(missed).toBeNull()
    expect(matched?.["name"]).toBe("b")
    // Native backtracking took about 9 s for this; RE2 takes tens of ms.
    expect(elapsed).toBeLessThan(1_000)
  })

  it("is null for a URI too long to match within the step budget", () => {
    const started = performance.now()
    expect(matchTemplate("repo://{owner}-{name}", `repo://${"a-".repeat(1_000_000)}b`)).toBeNull()
    expect(performance.now() - started).toBeLessThan(100)
  })
})
