#!/usr/bin/env node
import { NodeContext, NodeRuntime } from "@effect/platform-node"
import { Effect, Layer, Logger } from "effect"
import { cli } from "./Commands.js"

cli(process.argv).pipe(
  Effect.provide(Layer.merge(NodeContext.layer, Logger.pretty)),
  NodeRuntime.runMain({ disableErrorReporting: false })
)
