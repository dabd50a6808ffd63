/** moto server as AWS: an IAM role and Lambda functions to invoke (moto echoes their payloads). */
import { CreateFunctionCommand, LambdaClient } from "@aws-sdk/client-lambda"

export const credentials = { accessKeyId: "testing", secretAccessKey: "testing" }
export const REGION = "us-east-1"

/** The smallest valid zip archive: moto stores the code but, without Docker, never runs it. */
const EMPTY_ZIP = Buffer.from("UEsFBgAAAAAAAAAAAAAAAAAAAAAAAA==", "base64")

const TRUST = JSON.stringify({
  Version: "2012-10-17",
  Statement: [{ Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" }]
})

/** Creates (or finds) a role Lambda can assume; moto checks that a function's role exists. */
const ensureRole = async (endpoint: string) => {
  const call = (params: Record<string, string>) =>
    fetch(`${endpoint}/`, {
      method: "POST",
      headers: {
        "content-type": "application/x-www-form-urlencoded",
        authorization: `AWS4-HMAC-SHA256 Credential=${credentials.accessKeyId}/20260101/${REGION}/iam/aws4_request, SignedHeaders=host, Signature=0`
      },
      body: new URLSearchParams({ Version: "2010-05-08", ...params })
    }).then((response) => response.text())
  const created = await call({ Action: "CreateRole", RoleName: "mcp-lambda-sam-tools", AssumeRolePolicyDocument: TRUST })
  const arn = /<Arn>([^<]+)<\/Arn>/.exec(created)?.[1]
  if (arn !== undefined) return arn
  const found = await call({ Action: "GetRole", RoleName: "mcp-lambda-sam-tools" })
  const existing = /<Arn>([^<]+)<\/Arn>/.exec(found)?.[1]
  if (existing === undefined) throw new Error(`moto: cannot create the IAM role: ${created}`)
  return existing
}

export const lambdaClient = (endpoint: string) => new LambdaClient({ endpoint, region: REGION, credentials })

/** Creates a function in moto and returns its ARN. */
export const createFunction = async (endpoint: string, name: string) => {
  const role = await ensureRole(endpoint)
  const client = lambdaClient(endpoint)
  try {
    const created = await client.send(new CreateFunctionCommand({
      FunctionName: name,
      Runtime: "nodejs22.x",
      Role: role,
      Handler: "index.handler",
      Code: { ZipFile: EMPTY_ZIP }
    }))
    return created.FunctionArn!
  } catch (error) {
    if (error instanceof Error && error.name === "ResourceConflictException") {
      return `arn:aws:lambda:${REGION}:123456789012:function:${name}`
    }
    throw error
  } finally {
    client.destroy()
  }
}
