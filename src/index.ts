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
export * as Session from "./domain/Session.js"
export * from "./domain/errors.js"

export { listAll, Registry, type RegistryShape } from "./services/Registry.js"
export { SessionStore, type SessionStoreShape } from "./services/SessionStore.js"
export { type Invocation, ToolInvoker, type ToolInvokerShape } from "./services/ToolInvoker.js"

export * as DynamoDB from "./layers/DynamoDB.js"
export * as DynamoDBRegistry from "./layers/DynamoDBRegistry.js"
export * as DynamoDBSessionStore from "./layers/DynamoDBSessionStore.js"
export * as LambdaInvoker from "./layers/LambdaInvoker.js"
export * as LocalFunctionInvoker from "./layers/LocalFunctionInvoker.js"
export * as Main from "./layers/Main.js"
export * as MainRegistration from "./layers/MainRegistration.js"
export * as Tables from "./layers/Tables.js"
export * as MemoryRegistry from "./layers/MemoryRegistry.js"
export * as MemorySessionStore from "./layers/MemorySessionStore.js"
export * as Seed from "./layers/Seed.js"

export * as McpEngine from "./mcp/Engine.js"
export * as Results from "./mcp/Results.js"

export { Caller, type CallerIdentity, InvocationDeadline, ServerShutdown } from "./http/HostContext.js"
export * as McpApi from "./http/McpApi.js"
export * as RegistrationApi from "./http/RegistrationApi.js"
export { combine as combineApps } from "./http/Server.js"
export { withRequestLog } from "./http/RequestLog.js"
export * as FunctionUrl from "./http/FunctionUrl.js"
export { lambdaHandler } from "./handlers/runtime.js"

export { devServer, type DevServerOptions } from "./cli/Dev.js"

export { deploy, DeployError, type DeployOptions, type DeployResult } from "./deploy/Deploy.js"
