/** The Registration function (Function URL, `AWS_IAM`): POST/GET /register, GET/PUT/DELETE /register/{id}. */
import { registrationHandler } from "../hosts/LambdaRegistration.js"

export const handler = registrationHandler()
