#!/usr/bin/env bash
# Installs everything Keyfleet's tests, benchmarks and demo need on a fresh Debian machine:
# the Debian packages, the npm packages (from the lockfile), the compiled output, and the pulumi CLI.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages the tests use: libusb for node-hid, python3-fido2 as an independent CTAP2 client,
# fido2-tools for operators' manual checks, openssl for certificate checks, age (sealed PINs are opened
# with Debian's own tool in a test), python3-yaml (the spec bench's C-parser comparison) and chromium (the
# drift HTML report rendered headless).
apt_packages=(libusb-1.0-0 python3-fido2 fido2-tools openssl ca-certificates age python3-yaml chromium)
missing=()
for p in "${apt_packages[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing Debian packages: ${missing[*]}"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}"
fi

echo "setup: installing npm packages (npm ci)"
npm ci --no-audit --no-fund

echo "setup: compiling TypeScript"
npm run build

if [ -x scripts/install-pulumi.sh ]; then
  echo "setup: making the pulumi CLI available"
  bash scripts/install-pulumi.sh
fi
# The pipeline definitions' linters (tests/pipelines): actionlint from the Go module proxy, and the Azure
# Pipelines YAML schema from PyPI's check-jsonschema wheel.
if [ -x scripts/install-actionlint.sh ]; then
  echo "setup: making actionlint and the Azure Pipelines schema available"
  bash scripts/install-actionlint.sh
  bash scripts/install-pipeline-schemas.sh
fi
echo "setup: done"
