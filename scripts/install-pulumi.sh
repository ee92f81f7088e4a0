#!/usr/bin/env bash
# Makes the pulumi CLI, its Node.js language host and the Node.js dynamic-provider plugin available,
# pinned to the release that matches @pulumi/pulumi in package.json, on a machine whose only outside
# reach may be the package registries (npm, PyPI, the Go module proxy, Debian).
#
# Order:
#   1. Already installed at the pinned version in $KEYFLEET_TOOLS/pulumi-v<version>/bin: nothing to install.
#   2. Pulumi's official installer (get.pulumi.com), tried briefly; any failure falls through.
#   3. A build from the Go module proxy: a throwaway wrapper module (go.mod + tools.go, written below
#      into a temp dir) pins github.com/pulumi/pulumi/pkg/v3 and sdk/v3 to the release and builds
#      cmd/pulumi with the flags of Pulumi's own release build (.goreleaser.yml). 15-20 minutes on
#      2 cores from empty caches (17 min measured, module downloads included); with the Go module and
#      build caches (~/go/pkg/mod, ~/.cache/go-build) warm it takes about a minute.
# Then links the binaries into /usr/local/bin (or $KEYFLEET_LINK_DIR) and prints `pulumi version`.
#
# The Node.js language host (pulumi-language-nodejs) in step 3:
#   Upstream it is the separate module github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3,
#   which has no tags of its own: release v3.248.0 (tag v3.248.0 = commit a88168d865b7, 2026-06-24
#   12:07:34 UTC, per the proxy's github.com/pulumi/pulumi/@v/v3.248.0+incompatible.info) would be the
#   pseudo-version v3.0.0-20260624120734-a88168d865b7. The Go module proxy reachable here refuses that
#   module outright (403 "This module version is not available" for @v/list, @latest, the commit and the
#   pseudo-version, checked 2026-11-25), no npm/PyPI/Debian package ships the binary, and the last
#   release that still carried it inside sdk/v3 is v3.68.0 (2023), whose host takes its runtime options
#   as command-line flags that today's engine no longer passes (typescript/nodeargs would be ignored).
#   So the script first asks the proxy for the upstream pseudo-version (one quick request) and builds it
#   if it is ever served; otherwise it builds a small stand-in host, written below, against sdk/v3 at the
#   same release (scripts/pulumi-language-host/main.go). The stand-in speaks the same gRPC LanguageRuntime contract and launches programs exactly
#   as upstream does (node [nodeargs] @pulumi/pulumi/cmd/run --monitor ... <main>), so the program runner
#   in the @pulumi/pulumi npm package does the real work; it honours the Pulumi.yaml runtime options
#   typescript, nodeargs, tsconfig and packagemanager, reports resource plugins from package.json
#   ("pulumi": {"resource": true}), and leaves Node.js plugins, code generation and templates unimplemented.
#   $PREFIX/SOURCE records which host was installed.
set -euo pipefail

PULUMI_VERSION=3.248.0 # keep equal to "@pulumi/pulumi" in package.json
PKG_MODULE=github.com/pulumi/pulumi/pkg/v3
SDK_MODULE=github.com/pulumi/pulumi/sdk/v3
LANGHOST_MODULE=github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3
LANGHOST_PSEUDO=v3.0.0-20260624120734-a88168d865b7 # commit of tag v3.248.0; refused by the proxy as of 2026-11-25

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TOOLS=${KEYFLEET_TOOLS:-$HOME/.cache/keyfleet/tools}
PREFIX=$TOOLS/pulumi-v$PULUMI_VERSION
BIN=$PREFIX/bin
LINK_DIR=${KEYFLEET_LINK_DIR:-/usr/local/bin}
export PULUMI_SKIP_UPDATE_CHECK=true
START=$SECONDS

log() { echo "install-pulumi: [$((SECONDS - START))s] $*"; }

installed() {
	[ -x "$BIN/pulumi" ] && [ -x "$BIN/pulumi-language-nodejs" ] && [ -x "$BIN/pulumi-resource-pulumi-nodejs" ] &&
		[ "$("$BIN/pulumi" version 2>/dev/null)" = "v$PULUMI_VERSION" ] && langhost_current
}

# A stand-in host built from an older main.go is rebuilt; the upstream host has no such file.
langhost_current() {
	[ -f "$PREFIX/LANGHOST_SHA256" ] || return 0
	[ "$(cat "$PREFIX/LANGHOST_SHA256")" = "$(sha256sum <"$REPO_ROOT/scripts/pulumi-language-host/main.go" | cut -d' ' -f1)" ]
}

# pulumi-resource-pulumi-nodejs runs Node.js dynamic providers. The @pulumi/pulumi npm package ships it at
# its root; without node_modules, write the same three lines.
install_dynamic_provider_plugin() {
	local shipped=$REPO_ROOT/node_modules/@pulumi/pulumi/pulumi-resource-pulumi-nodejs
	if [ -f "$shipped" ]; then
		install -m 0755 "$shipped" "$1/pulumi-resource-pulumi-nodejs"
	else
		cat >"$1/pulumi-resource-pulumi-nodejs" <<'EOF'
#!/bin/sh
PULUMI_DYNAMIC_PROVIDER_SCRIPT_PATH=$(node -e "console.log(require.resolve('@pulumi/pulumi/cmd/dynamic-provider'))")
if [ ! -z "$PULUMI_DYNAMIC_PROVIDER_SCRIPT_PATH" ]; then
    node "$PULUMI_DYNAMIC_PROVIDER_SCRIPT_PATH" $@
fi
EOF
		chmod 0755 "$1/pulumi-resource-pulumi-nodejs"
	fi
	# The policy-pack analyzer only if a @pulumi/policy package happens to ship it; Keyfleet uses none.
	local policy=$REPO_ROOT/node_modules/@pulumi/policy/pulumi-analyzer-policy
	if [ -f "$policy" ] && [ ! -e "$1/pulumi-analyzer-policy" ]; then
		install -m 0755 "$policy" "$1/pulumi-analyzer-policy"
	fi
}

try_official_installer() {
	command -v curl >/dev/null 2>&1 || {
		log "no curl; skipping the official installer"
		return 1
	}
	local script
	script=$(mktemp)
	if ! curl -fsSL --max-time 15 https://get.pulumi.com -o "$script" 2>/dev/null; then
		rm -f "$script"
		log "get.pulumi.com is not reachable; falling back to a build from the Go module proxy"
		return 1
	fi
	log "running the official installer for v$PULUMI_VERSION"
	local stage=$TOOLS/.pulumi-official.$$
	rm -rf "$stage"
	if ! timeout 300 sh "$script" --version "$PULUMI_VERSION" --install-root "$stage" --no-edit-path ||
		[ "$("$stage/bin/pulumi" version 2>/dev/null)" != "v$PULUMI_VERSION" ] ||
		[ ! -x "$stage/bin/pulumi-language-nodejs" ]; then
		rm -rf "$stage" "$script"
		log "the official installer failed; falling back to a build from the Go module proxy"
		return 1
	fi
	rm -f "$script"
	[ -x "$stage/bin/pulumi-resource-pulumi-nodejs" ] || install_dynamic_provider_plugin "$stage/bin"
	echo "official installer (get.pulumi.com), v$PULUMI_VERSION" >"$stage/SOURCE"
	rm -rf "$PREFIX"
	mv "$stage" "$PREFIX"
}

build_from_go_proxy() {
	command -v go >/dev/null 2>&1 || {
		echo "install-pulumi: go is not on PATH; Go >= 1.25.11 is needed to build pulumi v$PULUMI_VERSION" >&2
		exit 1
	}
	log "building pulumi v$PULUMI_VERSION from the Go module proxy with $(go version)"
	local work stage=$TOOLS/.pulumi-build.$$
	work=$(mktemp -d)
	# shellcheck disable=SC2064
	trap "rm -rf '$work' '$stage'" EXIT
	export GOFLAGS="-mod=mod${GOFLAGS:+ $GOFLAGS}"

	local upstream_host=false
	if (cd "$work" && GOFLAGS=-mod=mod go mod download "$LANGHOST_MODULE@$LANGHOST_PSEUDO") >/dev/null 2>&1; then
		upstream_host=true
		log "the proxy serves the upstream language host $LANGHOST_MODULE@$LANGHOST_PSEUDO; building it"
	else
		log "the proxy does not serve $LANGHOST_MODULE; building Keyfleet's stand-in language host"
	fi

	cat >"$work/go.mod" <<EOF
module keyfleet.local/pulumi-cli

go 1.25.11

require (
	$PKG_MODULE v$PULUMI_VERSION
	$SDK_MODULE v$PULUMI_VERSION
$($upstream_host && printf '\t%s %s\n' "$LANGHOST_MODULE" "$LANGHOST_PSEUDO")
)

// As in pkg/go.mod at this release (a Windows-only fix; harmless on Linux).
replace github.com/atotto/clipboard => github.com/tgummerer/clipboard v0.0.0-20241001131231-d02d263e614e
EOF
	cat >"$work/tools.go" <<EOF
//go:build tools

package tools

import (
	_ "$PKG_MODULE/cmd/pulumi"
$($upstream_host && printf '\t_ "%s"\n' "$LANGHOST_MODULE")
)
EOF
	local langhost_pkg=$LANGHOST_MODULE
	if ! $upstream_host; then
		mkdir -p "$work/langhost"
		write_langhost_source >"$work/langhost/main.go"
		langhost_pkg=./langhost
	fi

	local flags=(-trimpath -tags osusergo,grpcnotrace
		-ldflags "-X $SDK_MODULE/go/common/version.Version=v$PULUMI_VERSION")
	rm -rf "$stage"
	mkdir -p "$stage/bin"
	log "go build $PKG_MODULE/cmd/pulumi (the long step: 15-20 min from empty Go caches on 2 cores, ~1 min warm)"
	(cd "$work" && go build "${flags[@]}" -o "$stage/bin/pulumi" "$PKG_MODULE/cmd/pulumi")
	log "go build pulumi-language-nodejs ($langhost_pkg)"
	if ! (cd "$work" && go build "${flags[@]}" -o "$stage/bin/pulumi-language-nodejs" "$langhost_pkg"); then
		$upstream_host || exit 1
		log "the upstream language host did not build; building Keyfleet's stand-in instead"
		upstream_host=false
		mkdir -p "$work/langhost"
		write_langhost_source >"$work/langhost/main.go"
		(cd "$work" && go build "${flags[@]}" -o "$stage/bin/pulumi-language-nodejs" ./langhost)
	fi
	install_dynamic_provider_plugin "$stage/bin"
	if $upstream_host; then
		echo "built from the Go module proxy: $PKG_MODULE v$PULUMI_VERSION; language host $LANGHOST_MODULE@$LANGHOST_PSEUDO" >"$stage/SOURCE"
	else
		echo "built from the Go module proxy: $PKG_MODULE v$PULUMI_VERSION; language host: Keyfleet stand-in (scripts/pulumi-language-host) on $SDK_MODULE v$PULUMI_VERSION" >"$stage/SOURCE"
		sha256sum <"$REPO_ROOT/scripts/pulumi-language-host/main.go" | cut -d' ' -f1 >"$stage/LANGHOST_SHA256"
	fi
	rm -rf "$PREFIX"
	mv "$stage" "$PREFIX"
}

link_into_path() {
	if ! mkdir -p "$LINK_DIR" 2>/dev/null || [ ! -w "$LINK_DIR" ]; then
		log "cannot write $LINK_DIR; add $BIN to PATH instead"
		return 0
	fi
	local f
	for f in "$BIN"/*; do
		ln -sfn "$f" "$LINK_DIR/$(basename "$f")"
	done
	log "linked $(cd "$BIN" && echo *) into $LINK_DIR"
}

main() {
	mkdir -p "$TOOLS"
	if installed; then
		log "pulumi v$PULUMI_VERSION is already installed in $BIN"
	else
		try_official_installer || build_from_go_proxy
		installed || {
			echo "install-pulumi: installation in $BIN is incomplete" >&2
			exit 1
		}
	fi
	link_into_path
	log "installed from: $(cat "$PREFIX/SOURCE" 2>/dev/null || echo unknown)"
	echo "pulumi $("$BIN/pulumi" version)"
}

# The stand-in Node.js language host (see the header): Go source kept beside this script.
write_langhost_source() {
	cat "$REPO_ROOT/scripts/pulumi-language-host/main.go"
}

main "$@"
