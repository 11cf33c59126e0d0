#!/usr/bin/env bash
# Fail unless a stack output equals what the pipeline is configured with, e.g. the stage's
# AZURE_KEYVAULT_NAME against the platform stack's `keyVaultName`: the release must read the
# settings of the environment that was just deployed, not of another one.
# Usage: check-stack-output.sh <stack> <output> <expected>
set -euo pipefail

stack="${1:?usage: check-stack-output.sh <stack> <output> <expected>}"
output="${2:?usage: check-stack-output.sh <stack> <output> <expected>}"
expected="${3-}"

# An undefined pipeline variable arrives as its own text, "$(PULUMI_BACKEND_URL)": treat it as unset.
if [[ -n "${PULUMI_BACKEND_URL-}" && "${PULUMI_BACKEND_URL}" != "\$("* ]]; then
  pulumi login "$PULUMI_BACKEND_URL" >/dev/null
fi

actual="$(pulumi stack output "$output" --stack "$stack")"
if [[ "$actual" != "$expected" ]]; then
  echo "##vso[task.logissue type=error]stack $stack output $output is '$actual' but the pipeline has '$expected': set the variable to '$actual' (docs/azure-devops.md)"
  exit 1
fi
echo "stack $stack: $output = $actual"
