/**
 * The Registration function's composition root: the registry on DynamoDB, and the resource
 * subscriptions `POST /resources/updated` publishes to (they and the outboxes live in the
 * session table), configured from the environment (`REGISTRATION_TABLE_NAME`,
 * `SESSION_TABLE_NAME`, `SESSION_TTL_SECONDS`, `AWS_REGION`, `DYNAMODB_ENDPOINT`), and the
 * registration policy (`TOOL_FUNCTION_ARNS`, `REGISTRATION_OWNER_ONLY`).
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { requireIdentity } from "../http/Authentication.js"
import * as RegistrationApi from "../http/RegistrationApi.js"
import { withRequestLog } from "../http/RequestLog.js"
import * as DynamoDB from "../layers/DynamoDB.js"
import * as DynamoDBRegistry from "../layers/DynamoDBRegistry.js"
import * as DynamoDBSessionStore from "../layers/DynamoDBSessionStore.js"
import * as DynamoDBSubscriptionStore from "../layers/DynamoDBSubscriptionStore.js"
import * as Subscriptions from "../mcp/Subscriptions.js"
import { Registry } from "../services/Registry.js"
import * as RegistrationPolicy from "../services/RegistrationPolicy.js"
import { SessionStore } from "../services/SessionStore.js"
import { SubscriptionStore } from "../services/SubscriptionStore.js"
import { lambdaHandler } from "./LambdaRuntime.js"
import { add } from "./Services.js"

/** The registry, the policy and the subscriptions, built one after another (`Services.ts`). */
export const registrationServices = add(DynamoDB.DynamoDB, DynamoDB.makeConfig)(Context.empty()).pipe(
  Effect.flatMap(add(Registry, DynamoDBRegistry.makeConfig)),
  Effect.flatMap(add(RegistrationPolicy.RegistrationPolicy, RegistrationPolicy.makeConfig)),
  Effect.flatMap(add(SubscriptionStore, DynamoDBSubscriptionStore.makeConfig)),
  Effect.flatMap(add(SessionStore, DynamoDBSessionStore.makeConfig)),
  Effect.flatMap(add(Subscriptions.Subscriptions, Subscriptions.make))
)

/** `registrationServices` as a layer (for other Effect programs; the handler builds the context directly). */
export const registrationLayer = Layer.scopedContext(registrationServices)

/** Always IAM: a request without caller identity (a URL made public by hand) is refused. */
export const registrationApp = requireIdentity(RegistrationApi.make())

/** The Registration function's handler (Function URL, `AWS_IAM`). */
export const registrationHandler = () => lambdaHandler(withRequestLog(registrationApp), registrationServices)
