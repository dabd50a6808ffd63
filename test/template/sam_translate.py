"""Expands template.yaml with aws-sam-translator, as CloudFormation's SAM transform would.

Usage: python3 sam_translate.py TEMPLATE [PARAMETERS_JSON]
Local CodeUri paths are replaced by S3 URIs first, as `deploy` (or `sam package`) does after
uploading the bundles. Prints the expanded template as JSON.
"""
import json
import os
import sys

from samtranslator.translator.transform import transform
from samtranslator.yaml_helper import yaml_parse

os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")


class ManagedPolicies:
    """The managed policies SAM may attach, without asking IAM."""

    def load(self):
        base = "arn:aws:iam::aws:policy/service-role/"
        return {
            "AWSLambdaBasicExecutionRole": base + "AWSLambdaBasicExecutionRole",
            "AWSLambdaVPCAccessExecutionRole": base + "AWSLambdaVPCAccessExecutionRole",
        }


def main():
    with open(sys.argv[1]) as source:
        template = yaml_parse(source.read())
    parameters = json.loads(sys.argv[2]) if len(sys.argv) > 2 else {}
    for name, resource in template.get("Resources", {}).items():
        properties = resource.get("Properties", {})
        code = properties.get("CodeUri")
        if isinstance(code, str) and not code.startswith("s3://"):
            properties["CodeUri"] = "s3://artifacts-bucket/" + name + ".zip"
    print(json.dumps(transform(template, parameters, ManagedPolicies()), default=str))


if __name__ == "__main__":
    main()
