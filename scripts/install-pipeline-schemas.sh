#!/usr/bin/env bash
# Makes Microsoft's Azure Pipelines YAML schema (service-schema.json of azure-pipelines-vscode) available to
# tests/pipelines, which validates pipelines/azure/*.yml against it with ajv.
#
# No npm package ships the schema (azure-pipelines-language-server/-service fetch it at run time), so it comes
# from the PyPI package check-jsonschema, which vendors it for its `check-azure-pipelines` hook, downloaded with
# pip (`pip download --no-deps`, nothing installed into any Python) and checked against the sha256 that
# package records beside it. The GitHub workflow schema it vendors (SchemaStore's) comes along.
#
# Files land in $KEYFLEET_TOOLS/check-jsonschema-<version>/ (default ~/.cache/keyfleet/tools).
set -euo pipefail

CHECK_JSONSCHEMA_VERSION=0.39.0
# What check-jsonschema 0.39.0 records in builtin_schemas/vendor/sha256/azure-pipelines.sha256
# ($comment in the schema: v1.261.1).
AZURE_PIPELINES_SHA256=f00a9630f6550204148634d9a13f634b5750a225559886effe09a751482f0459

TOOLS=${KEYFLEET_TOOLS:-$HOME/.cache/keyfleet/tools}
DEST=$TOOLS/check-jsonschema-$CHECK_JSONSCHEMA_VERSION

log() { echo "install-pipeline-schemas: $*"; }

have() {
	[ -f "$DEST/azure-pipelines.json" ] &&
		[ "$(sha256sum <"$DEST/azure-pipelines.json" | cut -d' ' -f1)" = "$AZURE_PIPELINES_SHA256" ]
}

if have; then
	log "the Azure Pipelines schema is already in $DEST"
	exit 0
fi

PYTHON=${PYTHON:-python3}
"$PYTHON" -m pip --version >/dev/null 2>&1 || {
	echo "install-pipeline-schemas: $PYTHON has no pip; install python3-pip (apt-get install -y python3-pip)" >&2
	exit 1
}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
log "pip download check-jsonschema==$CHECK_JSONSCHEMA_VERSION (the wheel only)"
"$PYTHON" -m pip download --quiet --no-deps --only-binary=:all: -d "$work" "check-jsonschema==$CHECK_JSONSCHEMA_VERSION"
wheel=$(ls "$work"/check_jsonschema-"$CHECK_JSONSCHEMA_VERSION"-*.whl)
vendor=check_jsonschema/builtin_schemas/vendor
"$PYTHON" - "$wheel" "$work/x" "$vendor" <<'EOF'
import sys, zipfile
wheel, out, vendor = sys.argv[1:4]
with zipfile.ZipFile(wheel) as z:
    for name in ("azure-pipelines.json", "github-workflows.json", "sha256/azure-pipelines.sha256",
                 "licenses/LICENSE.azure-pipelines", "licenses/LICENSE.schemastore"):
        z.extract(f"{vendor}/{name}", out)
EOF
src=$work/x/$vendor
recorded=$(tr -d '[:space:]' <"$src/sha256/azure-pipelines.sha256")
actual=$(sha256sum <"$src/azure-pipelines.json" | cut -d' ' -f1)
if [ "$recorded" != "$AZURE_PIPELINES_SHA256" ] || [ "$actual" != "$AZURE_PIPELINES_SHA256" ]; then
	echo "install-pipeline-schemas: azure-pipelines.json sha256 $actual (package records $recorded), expected $AZURE_PIPELINES_SHA256" >&2
	exit 1
fi
mkdir -p "$DEST"
cp "$src/azure-pipelines.json" "$src/github-workflows.json" "$DEST/"
cp "$src/licenses/LICENSE.azure-pipelines" "$src/licenses/LICENSE.schemastore" "$DEST/"
# shellcheck disable=SC2016 # a literal $comment key
log "installed the Azure Pipelines schema ($(grep -o '"\$comment": *"[^"]*"' "$DEST/azure-pipelines.json" | head -1)) in $DEST"
