/**
 * Where the Registration function's runtime is wired: the registry on DynamoDB, configured
 * from the environment (`REGISTRATION_TABLE_NAME`, `AWS_REGION`, `DYNAMODB_ENDPOINT`).
 */
import { Layer } from "effect"
import * as RegistrationApi from "../http/RegistrationApi.js"
import * as DynamoDB from "./DynamoDB.js"
import * as DynamoDBRegistry from "./DynamoDBRegistry.js"

export const registrationLayer = DynamoDBRegistry.layerConfig.pipe(Layer.provide(DynamoDB.layerConfig))

export const registrationApp = RegistrationApi.make()
