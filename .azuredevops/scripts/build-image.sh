#!/usr/bin/env bash
# Build and push the service image inside the registry (`az acr build`: no Docker daemon needed).
# Runs anywhere `az` is logged in. Environment:
#   ACR_NAME, IMAGE_REPOSITORY, RELEASE_VERSION (semver, never "latest"), DOCKERFILE, BUILD_CONTEXT
set -euo pipefail

: "${ACR_NAME:?set ACR_NAME to the registry name}"
: "${IMAGE_REPOSITORY:?set IMAGE_REPOSITORY}"
: "${RELEASE_VERSION:?set RELEASE_VERSION}"
: "${DOCKERFILE:=app/Dockerfile}"
: "${BUILD_CONTEXT:=.}"

# Semver without build metadata: the version is also the image tag, and a tag cannot hold "+"
# (the release CLI and the chart's values schema refuse it the same way; tests/release-version.spec.ts).
if ! [[ "$RELEASE_VERSION" =~ ^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(-(0|[1-9][0-9]*|[0-9]*[A-Za-z-][0-9A-Za-z-]*)(\.(0|[1-9][0-9]*|[0-9]*[A-Za-z-][0-9A-Za-z-]*))*)?$ ]]; then
  echo "RELEASE_VERSION must be a semver version without build metadata (e.g. 1.2.3 or 1.2.3-rc.1; '+' cannot be in an image tag), got '$RELEASE_VERSION'" >&2
  exit 2
fi

az acr build \
  --registry "$ACR_NAME" \
  --image "$IMAGE_REPOSITORY:$RELEASE_VERSION" \
  --file "$DOCKERFILE" \
  "$BUILD_CONTEXT"
