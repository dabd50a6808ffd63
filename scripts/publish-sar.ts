/**
 * `npm run publish:sar -- --region eu-west-1 [--profile p]`: publishes the SAR variant with the
 * AWS SDK's Serverless Application Repository client (see src/deploy/PublishSar.ts).
 */
import { parseArgs } from "node:util"
import {
  CreateApplicationCommand,
  CreateApplicationVersionCommand,
  ListApplicationsCommand,
  ServerlessApplicationRepositoryClient
} from "@aws-sdk/client-serverlessapplicationrepository"
import { fromIni } from "@aws-sdk/credential-providers"
import { Effect } from "effect"
import { publishSar, type SarApi } from "../src/deploy/PublishSar.js"

const { values } = parseArgs({ options: { region: { type: "string" }, profile: { type: "string" }, bucket: { type: "string" } } })
const region = values.region ?? process.env["AWS_REGION"]
if (region === undefined) {
  console.error("Give --region (or AWS_REGION)")
  process.exit(2)
}
const client = new ServerlessApplicationRepositoryClient({
  region,
  ...(values.profile === undefined ? {} : { credentials: fromIni({ profile: values.profile }) })
})
const sar: SarApi = {
  createApplication: (input) => client.send(new CreateApplicationCommand({ ...input, Labels: input.Labels ? [...input.Labels] : undefined })),
  createApplicationVersion: (input) => client.send(new CreateApplicationVersionCommand(input)),
  findApplication: async (name) => {
    let token: string | undefined
    do {
      const page = await client.send(new ListApplicationsCommand({ NextToken: token }))
      const found = page.Applications?.find((application) => application.Name === name)
      if (found !== undefined) return found.ApplicationId
      token = page.NextToken
    } while (token !== undefined)
    return undefined
  }
}
Effect.runPromise(publishSar({ region, profile: values.profile, bucket: values.bucket, sar })).then(
  () => client.destroy(),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : String(error))
    client.destroy()
    process.exit(1)
  }
)
