#!/usr/bin/env bash
# Install one pinned Pulumi CLI version on a Linux x64 agent and put it on the PATH of the
# following steps (the release engine's Automation API shells out to `pulumi`).
# Usage: install-pulumi.sh <version>   e.g. 3.248.0
set -euo pipefail

version="${1:?usage: install-pulumi.sh <version>}"
if ! [[ "$version" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]]; then
  echo "Pulumi version must be exact (x.y.z), got '$version'" >&2
  exit 2
fi

root="${AGENT_TOOLSDIRECTORY:-$HOME/.tools}/pulumi/$version"
if [[ ! -x "$root/pulumi/pulumi" ]]; then
  mkdir -p "$root"
  curl --fail --silent --show-error --location --retry 3 \
    "https://get.pulumi.com/releases/sdk/pulumi-v${version}-linux-x64.tar.gz" \
    | tar -xz -C "$root"
fi

"$root/pulumi/pulumi" version
echo "##vso[task.prependpath]$root/pulumi"
