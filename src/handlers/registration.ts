/** The Registration function (Function URL, `AWS_IAM`): POST/GET /register, GET/PUT/DELETE /register/{id}. */
import { withRequestLog } from "../http/RequestLog.js"
import { registrationApp, registrationLayer } from "../layers/MainRegistration.js"
import { lambdaHandler } from "./runtime.js"

export const handler = lambdaHandler(withRequestLog(registrationApp), registrationLayer)
