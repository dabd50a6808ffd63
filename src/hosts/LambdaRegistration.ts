/**
 * The Registration function's composition root: the registry on DynamoDB, and the resource
 * subscriptions `POST /resources/updated` publishes to (they and the outboxes live in the
 * session table), configured from the environment (`REGISTRATION_TABLE_NAME`,
 * `SESSION_TABLE_NAME`, `SESSION_TTL_SECONDS`, `AWS_REGION`, `DYNAMODB_ENDPOINT`), and the
 * registration policy (`TOOL_FUNCTION_ARNS`, `REGISTRATION_OWNER_ONLY`).
 */
import { Layer } from "effect"
import { requireIdentity } from "../http/Authentication.js"
import * as RegistrationApi from "../http/RegistrationApi.js"
import { withRequestLog } from "../http/RequestLog.js"
import * as DynamoDB from "../layers/DynamoDB.js"
import * as DynamoDBRegistry from "../layers/DynamoDBRegistry.js"
import * as DynamoDBSessionStore from "../layers/DynamoDBSessionStore.js"
import * as DynamoDBSubscriptionStore from "../layers/DynamoDBSubscriptionStore.js"
import * as Subscriptions from "../mcp/Subscriptions.js"
import * as RegistrationPolicy from "../services/RegistrationPolicy.js"
import { lambdaHandler } from "./LambdaRuntime.js"

export const registrationLayer = Layer.mergeAll(
  DynamoDBRegistry.layerConfig,
  RegistrationPolicy.layerConfig,
  Subscriptions.layer.pipe(Layer.provide(Layer.merge(DynamoDBSubscriptionStore.layerConfig, DynamoDBSessionStore.layerConfig)))
).pipe(Layer.provide(DynamoDB.layerConfig))

/** Always IAM: a request without caller identity (a URL made public by hand) is refused. */
export const registrationApp = requireIdentity(RegistrationApi.make())

/** The Registration function's handler (Function URL, `AWS_IAM`). */
export const registrationHandler = () => lambdaHandler(withRequestLog(registrationApp), registrationLayer)
