/**
 * The container's catalog of registrations: read again only when the registry's stamp moves,
 * one snapshot for every kind, and fingerprints that change with the kind that changed.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { layerMemory as registryMemory } from "../../src/layers/MemoryRegistry.js"
import * as Catalog from "../../src/mcp/Catalog.js"
import { Registry } from "../../src/services/Registry.js"
import { promptSpec, toolSpec } from "../support/fixtures.js"

/** The memory registry, counting its list requests. */
const countingRegistry = (lists: { count: number }) =>
  Layer.effect(
    Registry,
    Effect.map(Registry, (registry) => ({
      ...registry,
      list: (options?: Parameters<typeof registry.list>[0]) =>
        Effect.suspend(() => {
          lists.count++
          return registry.list(options)
        })
    }))
  ).pipe(Layer.provide(registryMemory))

const withCatalog = <A, E>(lists: { count: number }, body: Effect.Effect<A, E, Catalog.Catalog | Registry>) =>
  body.pipe(Effect.provide(Catalog.layer.pipe(Layer.provideMerge(countingRegistry(lists)))))

const names = (items: ReadonlyArray<{ readonly name: string }>) => items.map((item) => item.name)

describe("Catalog", () => {
  it.effect("lists each kind once while the stamp stays, and again when it moves", () => {
    const lists = { count: 0 }
    return withCatalog(lists, Effect.gen(function* () {
      const catalog = yield* Catalog.Catalog
      const registry = yield* Registry
      yield* registry.create(toolSpec("a"))
      yield* registry.create(promptSpec("p"))
      for (let i = 0; i < 3; i++) {
        expect(names(yield* catalog.all("tool"))).toEqual(["a"])
        expect(names(yield* catalog.all("prompt"))).toEqual(["p"])
      }
      expect(lists.count).toBe(2)
      yield* registry.create(toolSpec("b"))
      expect(names(yield* catalog.all("tool"))).toEqual(["a", "b"])
      expect(lists.count).toBe(3)
    }))
  })

  it.effect("a change shows for every kind, whichever kind is read first after it", () => {
    const lists = { count: 0 }
    return withCatalog(lists, Effect.gen(function* () {
      const catalog = yield* Catalog.Catalog
      const registry = yield* Registry
      yield* registry.create(toolSpec("a"))
      yield* registry.create(promptSpec("p"))
      yield* catalog.all("tool")
      yield* catalog.all("prompt")
      yield* registry.create(promptSpec("q"))
      // The tools are read first under the new stamp; the prompts read before it must not stay.
      expect(names(yield* catalog.all("tool"))).toEqual(["a"])
      expect(names(yield* catalog.all("prompt"))).toEqual(["p", "q"])
    }))
  })

  it.effect("fingerprints name every registration and version, one string per kind, and move with their kind", () => {
    const lists = { count: 0 }
    return withCatalog(lists, Effect.gen(function* () {
      const catalog = yield* Catalog.Catalog
      const registry = yield* Registry
      yield* registry.create(toolSpec("a"))
      yield* registry.create(toolSpec("b"))
      yield* registry.create(promptSpec("p"))
      const before = yield* catalog.fingerprints
      expect(before).toEqual(["tool-a@1,tool-b@1", "", "prompt-p@1"])
      yield* registry.update(toolSpec("b", { description: "changed" }))
      expect(yield* catalog.fingerprints).toEqual(["tool-a@1,tool-b@2", "", "prompt-p@1"])
    }))
  })
})
