#!/usr/bin/env bash
# Makes actionlint (the GitHub Actions workflow linter that tests/pipelines checks .github/workflows with)
# available, pinned, built from the Go module proxy: no prebuilt binary is downloaded.
#
#   go install github.com/rhysd/actionlint/cmd/actionlint@v1.7.12
#
# into $KEYFLEET_TOOLS/actionlint-v<version>/bin, then linked into /usr/local/bin (or $KEYFLEET_LINK_DIR).
# About a minute on 2 cores from an empty Go cache; nothing to do when the pinned version is already there.
#
# actionlint also hands every `run:` script to shellcheck when shellcheck is on PATH. The tests require it
# (so a workflow's shell is checked the same way on every machine); Debian's `shellcheck` package is installed
# here when it is missing.
set -euo pipefail

ACTIONLINT_VERSION=1.7.12 # served by the Go module proxy (github.com/rhysd/actionlint/@v/list)
MODULE=github.com/rhysd/actionlint/cmd/actionlint

TOOLS=${KEYFLEET_TOOLS:-$HOME/.cache/keyfleet/tools}
PREFIX=$TOOLS/actionlint-v$ACTIONLINT_VERSION
BIN=$PREFIX/bin
LINK_DIR=${KEYFLEET_LINK_DIR:-/usr/local/bin}

log() { echo "install-actionlint: $*"; }

installed() {
	[ -x "$BIN/actionlint" ] && [ "$("$BIN/actionlint" -version 2>/dev/null | head -1)" = "v$ACTIONLINT_VERSION" ]
}

if installed; then
	log "actionlint v$ACTIONLINT_VERSION is already installed in $BIN"
else
	command -v go >/dev/null 2>&1 || {
		echo "install-actionlint: go is not on PATH; Go >= 1.25 is needed to build actionlint v$ACTIONLINT_VERSION" >&2
		exit 1
	}
	log "go install $MODULE@v$ACTIONLINT_VERSION"
	mkdir -p "$BIN"
	# -ldflags sets the version actionlint prints, as its own release build does; a module-mode install
	# outside any go.mod, so the proxy's go.sum checks apply.
	GOFLAGS=-mod=mod GOBIN="$BIN" go install -trimpath \
		-ldflags "-s -w -X github.com/rhysd/actionlint.version=v$ACTIONLINT_VERSION" \
		"$MODULE@v$ACTIONLINT_VERSION"
	installed || {
		echo "install-actionlint: $BIN/actionlint does not report v$ACTIONLINT_VERSION" >&2
		exit 1
	}
fi

if ! command -v shellcheck >/dev/null 2>&1; then
	log "installing Debian's shellcheck (actionlint checks run: scripts with it)"
	SUDO=""
	[ "$(id -u)" = 0 ] || SUDO="sudo"
	$SUDO apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq shellcheck
fi

if mkdir -p "$LINK_DIR" 2>/dev/null && [ -w "$LINK_DIR" ]; then
	ln -sfn "$BIN/actionlint" "$LINK_DIR/actionlint"
	log "linked actionlint into $LINK_DIR"
else
	log "cannot write $LINK_DIR; add $BIN to PATH instead"
fi
echo "actionlint $("$BIN/actionlint" -version | head -1), $(shellcheck --version | sed -n 's/^version: /shellcheck /p')"
