/**
 * Vitest global setup: starts the real services the integration suites use — DynamoDB Local
 * and moto server — on free loopback ports, and stops them afterwards. Locally a missing Java
 * or moto skips those suites with a warning; in CI (`CI` set to any yes: `true`, `1`, `True`)
 * it fails the run. The services are registered for cleanup before they start: when one fails
 * to start, the others are stopped before the error is thrown, and a run that ends early takes
 * them with it.
 */
import type { TestProject } from "vitest/node"
import { inCi } from "../support/ci.js"
import { ServiceGroup, startAll, startDynamoDbLocal, startMoto } from "../support/localServices.js"

declare module "vitest" {
  export interface ProvidedContext {
    /** `http://127.0.0.1:<port>`, or "" when DynamoDB Local is not available here. */
    readonly dynamodbEndpoint: string
    /** `http://127.0.0.1:<port>`, or "" when moto is not available here. */
    readonly motoEndpoint: string
  }
}

// Node 20 is this project's floor; the AWS SDK's notice about Node 22 is known.
process.env["AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED"] = "true"

const unavailable = (what: string, why: string) => {
  if (inCi) throw new Error(`${what} is required in CI but ${why}`)
  console.warn(`[test setup] ${what} ${why}: its integration suites are skipped`)
  return ""
}

export default async function setup(project: TestProject) {
  const services = new ServiceGroup()
  const [dynamodbEndpoint = "", motoEndpoint = ""] = await startAll(services, [
    () => startDynamoDbLocal(services, unavailable),
    () => startMoto(services, unavailable)
  ])
  project.provide("dynamodbEndpoint", dynamodbEndpoint)
  project.provide("motoEndpoint", motoEndpoint)
  return services.stopAll
}
