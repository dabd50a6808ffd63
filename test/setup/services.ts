/**
 * Vitest global setup: starts the real services the integration suites use — DynamoDB Local
 * and moto server — on free loopback ports, and stops them afterwards. Locally a missing Java
 * or moto skips those suites with a warning; in CI (`CI=true`) it fails the run.
 */
import type { ChildProcess } from "node:child_process"
import type { TestProject } from "vitest/node"
import { startDynamoDbLocal, startMoto, stop } from "../support/localServices.js"

declare module "vitest" {
  export interface ProvidedContext {
    /** `http://127.0.0.1:<port>`, or "" when DynamoDB Local is not available here. */
    readonly dynamodbEndpoint: string
    /** `http://127.0.0.1:<port>`, or "" when moto is not available here. */
    readonly motoEndpoint: string
  }
}

const inCi = process.env["CI"] === "true"
// Node 20 is this project's floor; the AWS SDK's notice about Node 22 is known.
process.env["AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED"] = "true"

const unavailable = (what: string, why: string) => {
  if (inCi) throw new Error(`${what} is required in CI but ${why}`)
  console.warn(`[test setup] ${what} ${why}: its integration suites are skipped`)
  return ""
}

export default async function setup(project: TestProject) {
  const children: Array<ChildProcess> = []
  const stopAll = () => Promise.all(children.map(stop))
  try {
    const [dynamodbEndpoint, motoEndpoint] = await Promise.all([startDynamoDbLocal(children, unavailable), startMoto(children, unavailable)])
    project.provide("dynamodbEndpoint", dynamodbEndpoint)
    project.provide("motoEndpoint", motoEndpoint)
  } catch (error) {
    await stopAll()
    throw error
  }
  return stopAll
}
