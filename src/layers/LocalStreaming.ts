/**
 * The Lambda Node.js runtime's `awslambda` global, for functions run on this machine: a
 * handler wrapped with `awslambda.streamifyResponse` is a streaming function (it writes its
 * answer to a response stream), marked the way the runtime marks it. The code is in
 * `localRuntime.mjs`, which `dev`'s function workers load too.
 */
export { installAwsLambdaGlobal, isStreamingHandler, type StreamingHandler, streamifyResponse } from "./localRuntime.mjs"
