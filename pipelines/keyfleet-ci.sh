#!/usr/bin/env bash
# The three pipeline jobs, shared by GitHub Actions (.github/workflows/keyfleet-*.yml) and Azure Pipelines
# (pipelines/azure/*.yml), so that both run the same commands with the same exit codes:
#
#   keyfleet-ci.sh preview   pull request: keyfleet validate, keyfleet plan --json, pulumi preview --diff,
#                            and the plan posted (or updated) as a pull-request comment. Read-only identity.
#   keyfleet-ci.sh deploy    merge: keyfleet validate, pulumi up, then the records head published (after up).
#   keyfleet-ci.sh drift     schedule: keyfleet drift (Markdown report); exit 1 (drift) and 2 (error) fail
#                            the job.
#
# Exit codes are never swallowed: `set -euo pipefail`, and where a code is captured to write a report first,
# the script exits with it afterwards. `keyfleet plan` exits 1 when there is work to do, which is what a pull
# request is for, so only its 2 (bad input, blocked plan) fails a preview.
#
# Environment (the definitions set these; see docs/pipelines.md):
#   KEYFLEET_STACK (required), KEYFLEET_SPECS (default specs), PULUMI_BACKEND_URL, KEYFLEET_TASK_STORE,
#   AZURE_TENANT_ID + AZURE_CLIENT_ID (the identity of this job), KEYFLEET_GIT_COMMIT, KEYFLEET_PULL_REQUEST,
#   KEYFLEET_PIPELINE_RUN (records provenance), KEYFLEET_OUT (reports folder, default .keyfleet-ci),
#   KEYFLEET_POST_COMMENT (preview: false to skip posting), KEYFLEET_TRUSTED_KEYS (deploy: records verify),
#   KEYFLEET_DRIFT_ARGS (drift: more options, e.g. --stale-after 14).
set -euo pipefail

job=${1:?usage: keyfleet-ci.sh preview|deploy|drift}
cd "$(dirname "${BASH_SOURCE[0]}")/.."
: "${KEYFLEET_STACK:?KEYFLEET_STACK names the Pulumi stack}"
specs=${KEYFLEET_SPECS:-specs}
out=${KEYFLEET_OUT:-.keyfleet-ci}
mkdir -p "$out"
read -r -a keyfleet <<<"${KEYFLEET_CLI:-node dist/cli/main.js}"
tsx=${TSX:-node_modules/.bin/tsx}
export PULUMI_SKIP_UPDATE_CHECK=true

log() { echo "keyfleet-ci: $*" >&2; }

refresher=""
cleanup() {
	local rc=$?
	set +e
	[ -z "$refresher" ] || kill "$refresher" 2>/dev/null
	exit "$rc"
}
trap cleanup EXIT

# Workload identity federation: the CI's OIDC token in a file, kept fresh in the background, read by
# Keyfleet (KEYFLEET_ENTRA_AUTH=workload-identity) and by Pulumi's azblob backend alike. No secret.
sign_in() {
	if [ -z "${ACTIONS_ID_TOKEN_REQUEST_URL:-}" ] && [ -z "${SYSTEM_OIDCREQUESTURI:-}" ]; then
		log "no CI OIDC token source; using the sign-in the environment configures"
		return 0
	fi
	: "${AZURE_TENANT_ID:?AZURE_TENANT_ID is the tenant to sign in to}"
	: "${AZURE_CLIENT_ID:?AZURE_CLIENT_ID is the app registration this job signs in as}"
	export AZURE_FEDERATED_TOKEN_FILE=${AZURE_FEDERATED_TOKEN_FILE:-${RUNNER_TEMP:-${AGENT_TEMPDIRECTORY:-/tmp}}/keyfleet-federated-token}
	export KEYFLEET_ENTRA_AUTH=workload-identity
	bash pipelines/federated-token.sh "$AZURE_FEDERATED_TOKEN_FILE"
	# Its output goes to a file, not the step's: nothing left running may hold the step's output open.
	bash pipelines/federated-token.sh "$AZURE_FEDERATED_TOKEN_FILE" --every "${KEYFLEET_TOKEN_REFRESH_SECONDS:-240}" \
		</dev/null >/dev/null 2>>"$out/federated-token.log" &
	refresher=$!
	log "signed in as $AZURE_CLIENT_ID by workload identity federation"
}

# The job's report on the run's page: GitHub's step summary, Azure Pipelines' build summary tab.
summary() {
	local file=$1 title=$2
	[ -s "$file" ] || return 0
	if [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then
		cat "$file" >>"$GITHUB_STEP_SUMMARY"
	elif [ -n "${TF_BUILD:-}" ]; then
		echo "##vso[task.addattachment type=Distributedtask.Core.Summary;name=$title;]$(cd "$(dirname "$file")" && pwd)/$(basename "$file")"
	fi
}

validate() {
	log "keyfleet validate $specs"
	"${keyfleet[@]}" validate "$specs"
}

preview() {
	validate
	local plan_rc=0 preview_rc=0 first_run=()
	# A stack that has never held a key has no task store yet: say so, rather than let a missing store pass.
	if ! pulumi stack export --stack "$KEYFLEET_STACK" --non-interactive 2>/dev/null | grep -q 'keyfleet:KeyAssignment'; then
		first_run=(--first-run)
	fi
	log "keyfleet plan $specs --json ${first_run[*]}"
	"${keyfleet[@]}" plan "$specs" --json "${first_run[@]}" >"$out/plan.json" 2>"$out/plan.stderr" || plan_rc=$?
	cat "$out/plan.stderr" >&2
	log "keyfleet plan exited $plan_rc (0 nothing to do, 1 work to do, 2 error)"
	log "pulumi preview --stack $KEYFLEET_STACK --diff"
	pulumi preview --stack "$KEYFLEET_STACK" --diff --non-interactive >"$out/preview.txt" 2>&1 || preview_rc=$?
	cat "$out/preview.txt"
	"$tsx" scripts/plan-comment.ts --stack "$KEYFLEET_STACK" --plan "$out/plan.json" --plan-exit "$plan_rc" \
		--plan-errors "$out/plan.stderr" --preview "$out/preview.txt" --preview-exit "$preview_rc" \
		--commit "${KEYFLEET_GIT_COMMIT:-}" --run "${KEYFLEET_PIPELINE_RUN:-}" >"$out/comment.md"
	summary "$out/comment.md" "Keyfleet plan"
	if [ "${KEYFLEET_POST_COMMENT:-true}" != "false" ]; then
		"$tsx" scripts/pr-comment.ts post --body-file "$out/comment.md"
	fi
	if [ "$plan_rc" -gt 1 ]; then return "$plan_rc"; fi
	return "$preview_rc"
}

# The records head, a step after up: `keyfleet records head` (the store's own head) where the build has it,
# else the head the program published as the stack output `recordsHead`; and always the chain checked against
# that stack output by `records verify --head` (exit 1 if records were edited, truncated or rewritten).
publish_records_head() {
	local commands stack_head
	stack_head=$(pulumi stack output recordsHead --json --stack "$KEYFLEET_STACK" --non-interactive)
	# `records head --help` exits 0 even where there is no such command, so read the list of commands instead.
	commands=$("${keyfleet[@]}" records --help)
	if grep -qE '^ +head( |$)' <<<"$commands"; then
		log "keyfleet records head --json"
		"${keyfleet[@]}" records head --json >"$out/records-head.json"
	else
		printf '%s\n' "$stack_head" >"$out/records-head.json"
	fi
	if [ "$stack_head" = "null" ] || [ -z "$stack_head" ]; then
		log "the store holds no records yet"
		return 0
	fi
	local verify=("${keyfleet[@]}" records verify --head "$stack_head" --json)
	[ -z "${KEYFLEET_TRUSTED_KEYS:-}" ] || verify+=(--trusted-keys "$KEYFLEET_TRUSTED_KEYS")
	log "keyfleet records verify --head $(tr -d '\n ' <<<"$stack_head")"
	"${verify[@]}" >"$out/records-verify.json"
	log "records head: $(tr -d '\n ' <"$out/records-head.json")"
}

deploy() {
	if [ -z "${KEYFLEET_PULL_REQUEST:-}" ]; then
		local pr=""
		if pr=$("$tsx" scripts/pr-comment.ts merged-pr); then
			export KEYFLEET_PULL_REQUEST=$pr
		else
			log "warning: could not tell which pull request this merge came from; records carry commit and run only"
		fi
	fi
	validate
	# Checkpoints (the state written after every resource step) cost more than the run at thousands of
	# resources; the state is written once at the end. See docs/pipelines.md for what that trades.
	export PULUMI_SKIP_CHECKPOINTS=true
	log "pulumi up --stack $KEYFLEET_STACK (commit ${KEYFLEET_GIT_COMMIT:-?}, pull request ${KEYFLEET_PULL_REQUEST:-none}, run ${KEYFLEET_PIPELINE_RUN:-?})"
	pulumi up --stack "$KEYFLEET_STACK" --yes --skip-preview --non-interactive
	publish_records_head
}

drift() {
	local rc=0 extra=()
	# KEYFLEET_DRIFT_ARGS: more options, e.g. "--stale-after 14" (split on spaces).
	read -r -a extra <<<"${KEYFLEET_DRIFT_ARGS:-}"
	log "keyfleet drift $specs --format markdown ${extra[*]}"
	"${keyfleet[@]}" drift "$specs" --format markdown --out "$out/drift.md" "${extra[@]}" 2>&1 |
		tee "$out/drift.txt" || rc=$?
	summary "$out/drift.md" "Keyfleet drift"
	case "$rc" in
	0) log "no drift: git and Entra agree" ;;
	1) log "DRIFT: git and Entra differ (exit 1); the report is $out/drift.md" ;;
	*) log "keyfleet drift failed (exit $rc)" ;;
	esac
	return "$rc"
}

case "$job" in
preview | deploy | drift)
	sign_in
	"$job"
	;;
*)
	echo "usage: keyfleet-ci.sh preview|deploy|drift" >&2
	exit 2
	;;
esac
