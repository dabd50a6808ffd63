/** The types of `localRuntime.mjs` (plain JavaScript, so that `dev`'s function workers load it as it is). */
import type { Writable } from "node:stream"

export type StreamingHandler = (event: unknown, responseStream: Writable, context: unknown) => unknown

export declare const isStreamingHandler: (handler: unknown) => handler is StreamingHandler
export declare const streamifyResponse: <H extends StreamingHandler>(handler: H) => H
export declare const installAwsLambdaGlobal: () => void
export declare const HANDLER_FILE: RegExp
export declare const loadHandler: (path: string) => Promise<(...args: Array<never>) => unknown>
export declare const callHandler: (handler: (event: never, context: never, callback: never) => unknown, event: unknown, context: unknown) => Promise<unknown>

export interface LocalContext {
  readonly awsRequestId: string
  readonly functionName: string
  readonly functionVersion: string
  readonly invokedFunctionArn: string
  readonly memoryLimitInMB: string
  readonly logGroupName: string
  readonly logStreamName: string
  callbackWaitsForEmptyEventLoop: boolean
  readonly getRemainingTimeInMillis: () => number
}

export declare const makeContext: (options: {
  readonly functionName: string
  readonly invokedFunctionArn: string
  readonly awsRequestId: string
  readonly deadline: number
  readonly memoryLimitInMB: number
}) => LocalContext
