#!/usr/bin/env bash
# Writes the CI's OIDC token for Entra workload identity federation into a file (AZURE_FEDERATED_TOKEN_FILE),
# and with --every N rewrites it every N seconds until killed.
#
#   pipelines/federated-token.sh FILE [--every SECONDS]
#
# Why a file, rewritten: the CI's token lives about 10 minutes, and a sign-in made once from it (as
# `az login --federated-token` does) cannot renew itself after that. Keyfleet's workload-identity sign-in
# re-reads the file on every token request, and Pulumi's azblob backend (azidentity's
# WorkloadIdentityCredential) re-reads it too, so a long `pulumi up` keeps signing in with a fresh token.
#
# GitHub Actions: ACTIONS_ID_TOKEN_REQUEST_URL and _TOKEN (the job needs `permissions: id-token: write`),
#   audience api://AzureADTokenExchange, the one Entra's federated credentials expect.
# Azure Pipelines: SYSTEM_OIDCREQUESTURI and SYSTEM_ACCESSTOKEN, for the workload-identity service connection
#   KEYFLEET_SERVICE_CONNECTION_ID (its id, not its name).
# The token never reaches stdout, stderr or a command line; the file is written 0600 and replaced atomically.
set -euo pipefail

file=${1:?usage: federated-token.sh FILE [--every SECONDS]}
every=""
if [ "${2:-}" = "--every" ]; then every=${3:?--every takes a number of seconds}; fi
case "$every" in '' | *[!0-9]*) [ -z "$every" ] || {
	echo "federated-token: --every takes whole seconds" >&2
	exit 2
} ;; esac

fetch_once() {
	umask 077
	local tmp="$file.tmp.$$"
	# shellcheck disable=SC2016 # the JavaScript's ${...} are its own template literals
	KEYFLEET_TOKEN_OUT=$tmp node --input-type=module -e '
		const env = process.env;
		let url, init, field;
		if (env.ACTIONS_ID_TOKEN_REQUEST_URL && env.ACTIONS_ID_TOKEN_REQUEST_TOKEN) {
			const u = new URL(env.ACTIONS_ID_TOKEN_REQUEST_URL);
			u.searchParams.set("audience", env.KEYFLEET_OIDC_AUDIENCE || "api://AzureADTokenExchange");
			url = u;
			init = { headers: { authorization: `Bearer ${env.ACTIONS_ID_TOKEN_REQUEST_TOKEN}` } };
			field = "value";
		} else if (env.SYSTEM_OIDCREQUESTURI && env.SYSTEM_ACCESSTOKEN && env.KEYFLEET_SERVICE_CONNECTION_ID) {
			const u = new URL(env.SYSTEM_OIDCREQUESTURI);
			u.searchParams.set("api-version", "7.1-preview.1");
			u.searchParams.set("serviceConnectionId", env.KEYFLEET_SERVICE_CONNECTION_ID);
			url = u;
			init = {
				method: "POST",
				headers: { authorization: `Bearer ${env.SYSTEM_ACCESSTOKEN}`, "content-type": "application/json" },
				body: "{}",
			};
			field = "oidcToken";
		} else {
			console.error("federated-token: no OIDC source: on GitHub give the job `permissions: id-token: write`; " +
				"on Azure Pipelines map SYSTEM_ACCESSTOKEN and set KEYFLEET_SERVICE_CONNECTION_ID");
			process.exit(2);
		}
		const res = await fetch(url, init).catch((e) => {
			console.error(`federated-token: ${url.origin}${url.pathname}: ${e.cause?.code ?? e.message}`);
			process.exit(2);
		});
		const text = await res.text();
		let token;
		try { token = JSON.parse(text)[field]; } catch {}
		if (!res.ok || typeof token !== "string" || token.split(".").length !== 3) {
			console.error(`federated-token: ${url.origin}${url.pathname}: HTTP ${res.status}, no token in the answer`);
			process.exit(2);
		}
		const { writeFileSync } = await import("node:fs");
		writeFileSync(env.KEYFLEET_TOKEN_OUT, token, { mode: 0o600 });
	'
	mv -f "$tmp" "$file"
}

fetch_once
if [ -n "$every" ]; then
	# The sleep runs in the background so that a TERM ends it with the loop: an orphaned sleep would hold
	# the CI step's output open until it woke.
	nap=""
	trap '[ -z "$nap" ] || kill "$nap" 2>/dev/null; exit 0' TERM INT
	while :; do
		sleep "$every" &
		nap=$!
		wait "$nap"
		nap=""
		# A failed refresh leaves the previous token in place (still valid for a while) and tries again.
		fetch_once || echo "federated-token: refresh failed; keeping the previous token" >&2
	done
fi
