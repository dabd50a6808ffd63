/**
 * mcp-lambda-sam as a library: the domain, the ports and their layers, the MCP engine and
 * the two HTTP apps, so other Effect programs can host or extend the server.
 */
export * as JsonRpc from "./domain/JsonRpc.js"
export * as JsonSchema from "./domain/JsonSchema.js"
export * as LambdaArn from "./domain/LambdaArn.js"
export * as Mcp from "./domain/Mcp.js"
export * as Parameters from "./domain/Parameters.js"
export * as Registration from "./domain/Registration.js"
export * as RegistrationInput from "./domain/RegistrationInput.js"
export * as Session from "./domain/Session.js"
export * from "./domain/errors.js"

export { listAll, Registry, type RegistryShape } from "./services/Registry.js"
export { SessionStore, type SessionStoreShape } from "./services/SessionStore.js"
export { RateLimiter, type RateLimiterShape } from "./services/RateLimiter.js"
export { type Invocation, ToolInvoker, type ToolInvokerShape } from "./services/ToolInvoker.js"

export * as DynamoDB from "./layers/DynamoDB.js"
export * as DynamoDBRegistry from "./layers/DynamoDBRegistry.js"
export * as DynamoDBSessionStore from "./layers/DynamoDBSessionStore.js"
export * as LambdaInvoker from "./layers/LambdaInvoker.js"
export * as LocalFunctionInvoker from "./layers/LocalFunctionInvoker.js"
export * as Tables from "./layers/Tables.js"
export * as MemoryRegistry from "./layers/MemoryRegistry.js"
export * as MemorySessionStore from "./layers/MemorySessionStore.js"
export * as Seed from "./layers/Seed.js"

export * as McpEngine from "./mcp/Engine.js"
export * as Catalog from "./mcp/Catalog.js"
export * as Sessions from "./mcp/Sessions.js"
export * as McpMethod from "./mcp/Method.js"
export * as McpMethods from "./mcp/Methods/index.js"
export * as McpErrors from "./mcp/Errors.js"
export { McpRequest } from "./mcp/McpRequest.js"
export * as Results from "./mcp/Results.js"
export * as Settings from "./Settings.js"

export { Caller, type CallerIdentity, InvocationDeadline, ServerShutdown } from "./http/HostContext.js"
export * as McpApi from "./http/McpApi.js"
export * as RegistrationApi from "./http/RegistrationApi.js"
export { combine as combineApps } from "./http/Server.js"
export { withRequestLog } from "./http/RequestLog.js"
export * as FunctionUrl from "./http/FunctionUrl.js"
export { HttpProblem, RpcHttpError } from "./http/Errors.js"

export * as Core from "./hosts/Core.js"
export * as LambdaMcp from "./hosts/LambdaMcp.js"
export * as LambdaRegistration from "./hosts/LambdaRegistration.js"
export { lambdaHandler } from "./hosts/LambdaRuntime.js"
export { devServer, type DevServerOptions } from "./hosts/Node.js"

export { deploy, DeployError, type DeployOptions, type DeployResult } from "./deploy/Deploy.js"
