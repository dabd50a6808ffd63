/**
 * The Serverless Application Repository variant of template.yaml. SAR accepts only the resource
 * types on its published list (data file sar/supported-resources.json, with its source), which
 * has neither `AWS::Lambda::Url` (what a `FunctionUrlConfig` becomes) nor `AWS::EC2::SecurityGroup`.
 * So the variant deploys the tables, the functions and their roles; the Function URLs are added
 * afterwards (README, "Serverless Application Repository"), and a VPC deployment names its own
 * security groups.
 */
import { parseTemplate, stringifyTemplate, type Template } from "./CfnYaml.js"

const URL_OUTPUTS = ["McpFunctionUrl", "McpEndpoint", "RegistrationFunctionUrl"]

export const sarTemplate = (templateText: string): string => {
  const template: Template = structuredClone(parseTemplate(templateText))
  for (const name of ["McpFunction", "RegistrationFunction"]) {
    const properties = template.Resources[name]?.Properties
    if (properties !== undefined) delete properties["FunctionUrlConfig"]
  }
  delete template.Resources["FunctionSecurityGroup"]
  const parameters = template.Parameters ?? {}
  delete parameters["VpcId"]
  parameters["SecurityGroupIds"] = {
    Type: "CommaDelimitedList",
    Default: "",
    Description: "Security groups for the functions, when VpcEnabled is true (outbound HTTPS to DynamoDB and Lambda)."
  }
  template.Parameters = parameters
  const globals = (template["Globals"] as { Function?: Record<string, unknown> } | undefined)?.Function
  if (globals !== undefined) {
    globals["VpcConfig"] = {
      "Fn::If": ["IsVpc", { SecurityGroupIds: { Ref: "SecurityGroupIds" }, SubnetIds: { Ref: "SubnetIds" } }, { Ref: "AWS::NoValue" }]
    }
  }
  const outputs = template.Outputs ?? {}
  for (const name of URL_OUTPUTS) delete outputs[name]
  outputs["McpFunctionName"] = {
    Description: "Add a Function URL to this function (AuthType AWS_IAM; InvokeMode RESPONSE_STREAM, or BUFFERED in a VPC)",
    Value: { Ref: "McpFunction" }
  }
  outputs["RegistrationFunctionName"] = {
    Description: "Add a Function URL to this function (AuthType AWS_IAM, InvokeMode BUFFERED)",
    Value: { Ref: "RegistrationFunction" }
  }
  template.Outputs = outputs
  // Only Function URLs used this condition.
  delete template.Conditions?.["HasAllowedOrigins"]
  template["Description"] =
    "mcp-lambda-sam: a Model Context Protocol server on AWS Lambda and DynamoDB (Serverless Application Repository " +
    "edition: add IAM-authenticated Function URLs to the two functions after deploying)."
  const text = stringifyTemplate(template)
    // A YAML 1.1 reader would take an unquoted 2010-09-09 for a date.
    .replace(/^AWSTemplateFormatVersion: ([\d-]+)$/m, "AWSTemplateFormatVersion: \"$1\"")
  return `# Generated from template.yaml by \`npm run package:sar\`: edit template.yaml instead.\n${text}`
}

/** Every resource type a template declares (before expansion). */
export const resourceTypes = (templateText: string): ReadonlyArray<string> =>
  [...new Set(Object.values(parseTemplate(templateText).Resources).map((resource) => resource.Type))].sort()
