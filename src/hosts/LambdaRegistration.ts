/**
 * The Registration function's composition root: the registry on DynamoDB, configured from the
 * environment (`REGISTRATION_TABLE_NAME`, `AWS_REGION`, `DYNAMODB_ENDPOINT`).
 */
import { Layer } from "effect"
import * as RegistrationApi from "../http/RegistrationApi.js"
import { withRequestLog } from "../http/RequestLog.js"
import * as DynamoDB from "../layers/DynamoDB.js"
import * as DynamoDBRegistry from "../layers/DynamoDBRegistry.js"
import { lambdaHandler } from "./LambdaRuntime.js"

export const registrationLayer = DynamoDBRegistry.layerConfig.pipe(Layer.provide(DynamoDB.layerConfig))

export const registrationApp = RegistrationApi.make()

/** The Registration function's handler (Function URL, `AWS_IAM`). */
export const registrationHandler = () => lambdaHandler(withRequestLog(registrationApp), registrationLayer)
