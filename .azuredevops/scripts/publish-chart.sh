#!/usr/bin/env bash
# Package the Helm chart with the release version and push it to the registry as an OCI artifact
# (oci://<login server>/helm/<chart>:<version>). The registry token travels from `az` to helm
# through a pipe into --password-stdin: it is never in argv, a variable or the log.
# Environment: ACR_NAME, CHART_PATH, RELEASE_VERSION, CHART_OUTPUT_DIR (default ./.chart)
set -euo pipefail

: "${ACR_NAME:?set ACR_NAME to the registry name}"
: "${CHART_PATH:?set CHART_PATH to the chart folder}"
: "${RELEASE_VERSION:?set RELEASE_VERSION}"
: "${CHART_OUTPUT_DIR:=.chart}"

# Semver without build metadata: the version is also the image tag, and a tag cannot hold "+"
# (the release CLI and the chart's values schema refuse it the same way; tests/release-version.spec.ts).
if ! [[ "$RELEASE_VERSION" =~ ^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(-(0|[1-9][0-9]*|[0-9]*[A-Za-z-][0-9A-Za-z-]*)(\.(0|[1-9][0-9]*|[0-9]*[A-Za-z-][0-9A-Za-z-]*))*)?$ ]]; then
  echo "RELEASE_VERSION must be a semver version without build metadata (e.g. 1.2.3 or 1.2.3-rc.1; '+' cannot be in an image tag), got '$RELEASE_VERSION'" >&2
  exit 2
fi

mkdir -p "$CHART_OUTPUT_DIR"
helm package "$CHART_PATH" \
  --version "$RELEASE_VERSION" \
  --app-version "$RELEASE_VERSION" \
  --destination "$CHART_OUTPUT_DIR"

login_server="$(az acr show --name "$ACR_NAME" --query loginServer --output tsv)"

# ACR's token user for refresh tokens is the all-zero GUID.
az acr login --name "$ACR_NAME" --expose-token --output tsv --query accessToken \
  | helm registry login "$login_server" \
      --username 00000000-0000-0000-0000-000000000000 \
      --password-stdin

shopt -s nullglob
packages=("$CHART_OUTPUT_DIR"/*-"$RELEASE_VERSION".tgz)
if [[ ${#packages[@]} -ne 1 ]]; then
  echo "expected one chart package for $RELEASE_VERSION in $CHART_OUTPUT_DIR, found ${#packages[@]}" >&2
  exit 1
fi

helm push "${packages[0]}" "oci://$login_server/helm"
helm registry logout "$login_server"
