#!/usr/bin/env python3
"""Expands the SAM template offline into plain CloudFormation (JSON), for cfn-lint to check the result.

Usage: expand_template.py TEMPLATE OUTPUT.json

No AWS access: the code location is a placeholder, the Region is fixed, and the managed-policy loader
knows no policies (SAM then writes the ARNs of the policies it adds itself).
"""

import json
import os
import sys
from pathlib import Path

PLACEHOLDER_CODE_URI = "s3://placeholder-bucket/acm-dns-doctor.zip"
FUNCTION = "DoctorFunction"

# samtranslator builds ARNs for the Region in the standard AWS environment.
os.environ["AWS_DEFAULT_REGION"] = "us-east-1"

from cfnlint.decode import cfn_yaml  # noqa: E402
from samtranslator.public.exceptions import InvalidDocumentException  # noqa: E402
from samtranslator.translator.transform import transform  # noqa: E402


class OfflinePolicyLoader:
    """Managed-policy loader that asks IAM nothing."""

    def load(self):
        return {}


def fail(message):
    print(f"expand_template: {message}", file=sys.stderr)
    sys.exit(1)


def main(argv):
    if len(argv) != 3:
        fail(f"usage: {argv[0]} TEMPLATE OUTPUT.json")
    source, target = Path(argv[1]), Path(argv[2])
    try:
        template = cfn_yaml.loads(source.read_text(encoding="utf-8"), str(source))
    except Exception as e:  # unreadable file or invalid YAML
        fail(f"cannot read {source}: {e}")
    if not isinstance(template, dict):
        fail(f"{source}: not a template (top level is not a mapping)")

    function = template.get("Resources", {}).get(FUNCTION)
    if not isinstance(function, dict) or function.get("Type") != "AWS::Serverless::Function":
        fail(f"{source}: no AWS::Serverless::Function named {FUNCTION}")
    function.setdefault("Properties", {})["CodeUri"] = PLACEHOLDER_CODE_URI

    try:
        expanded = transform(template, {}, OfflinePolicyLoader())
    except InvalidDocumentException as e:
        causes = "\n".join(f"  - {c.message}" for c in e.causes) or f"  - {e}"
        fail(f"SAM translation of {source} failed:\n{causes}")
    except Exception as e:  # any other translator error is a failure too, never a traceback-less pass
        fail(f"SAM translation of {source} failed: {type(e).__name__}: {e}")

    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(expanded, indent=2, sort_keys=False) + "\n", encoding="utf-8")
    print(f"expanded {source} -> {target} ({len(expanded.get('Resources', {}))} resources)")


if __name__ == "__main__":
    main(sys.argv)
