// The pipelines' side of the pull-request conversation: posting the plan comment (updated in place on every
// push, found by its hidden marker line) on GitHub or Azure DevOps, and naming the pull request a merge
// commit came from, for the records' provenance.
//
//   tsx scripts/pr-comment.ts post --body-file comment.md   (marker: the body's first line)
//   tsx scripts/pr-comment.ts merged-pr                    (prints the number, or nothing)
//
// GitHub: GITHUB_API_URL, GITHUB_REPOSITORY, GITHUB_TOKEN (the job's token, pull-requests: write),
// KEYFLEET_PULL_REQUEST, GITHUB_SHA. Azure DevOps (TF_BUILD): SYSTEM_COLLECTIONURI, SYSTEM_TEAMPROJECTID,
// BUILD_REPOSITORY_ID, SYSTEM_PULLREQUEST_PULLREQUESTID, SYSTEM_ACCESSTOKEN ($(System.AccessToken)),
// BUILD_SOURCEVERSIONMESSAGE. Tokens go only into the Authorization header; errors name the request and
// the status, never the token.
import { readFileSync, realpathSync } from "node:fs";
import { pathToFileURL } from "node:url";

type Env = NodeJS.ProcessEnv;

export class CommentError extends Error {}

function need(env: Env, name: string): string {
  const v = env[name];
  if (!v) throw new CommentError(`${name} is not set`);
  return v;
}

async function call(
  method: string,
  url: string,
  auth: string,
  body?: unknown,
): Promise<{ status: number; json: unknown }> {
  const res = await fetch(url, {
    method,
    headers: {
      authorization: auth,
      accept: "application/json",
      "user-agent": "keyfleet-pipeline",
      ...(body === undefined ? {} : { "content-type": "application/json" }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  if (!res.ok) {
    const safeUrl = url.replace(/([?&](?:access_token|token)=)[^&]*/gi, "$1…");
    throw new CommentError(`${method} ${safeUrl}: HTTP ${res.status} ${text.slice(0, 300)}`);
  }
  return { status: res.status, json: text ? (JSON.parse(text) as unknown) : undefined };
}

export type Platform = "github" | "azure-devops";

export function platformOf(env: Env): Platform {
  if (env.GITHUB_ACTIONS === "true") return "github";
  if ((env.TF_BUILD ?? "").toLowerCase() === "true") return "azure-devops";
  throw new CommentError("neither GitHub Actions (GITHUB_ACTIONS) nor Azure Pipelines (TF_BUILD)");
}

/** Creates the comment, or updates the one whose body starts with the same marker line. */
export async function postComment(body: string, env: Env = process.env): Promise<"created" | "updated"> {
  const marker = body.split("\n", 1)[0] ?? "";
  if (!marker.startsWith("<!--")) throw new CommentError("the body's first line must be its <!-- marker -->");
  return platformOf(env) === "github" ? postGitHub(body, marker, env) : postAzureDevOps(body, marker, env);
}

async function postGitHub(body: string, marker: string, env: Env): Promise<"created" | "updated"> {
  const api = (env.GITHUB_API_URL ?? "https://api.github.com").replace(/\/$/, "");
  const repo = need(env, "GITHUB_REPOSITORY");
  const pr = need(env, "KEYFLEET_PULL_REQUEST");
  if (!/^\d+$/.test(pr)) throw new CommentError(`KEYFLEET_PULL_REQUEST is not a number: ${pr}`);
  const auth = `Bearer ${need(env, "GITHUB_TOKEN")}`;
  for (let page = 1; page <= 50; page++) {
    const { json } = await call(
      "GET",
      `${api}/repos/${repo}/issues/${pr}/comments?per_page=100&page=${page}`,
      auth,
    );
    const list = (json ?? []) as { id: number; body?: string }[];
    const mine = list.find((c) => (c.body ?? "").startsWith(marker));
    if (mine) {
      await call("PATCH", `${api}/repos/${repo}/issues/comments/${mine.id}`, auth, { body });
      return "updated";
    }
    if (list.length < 100) break;
  }
  await call("POST", `${api}/repos/${repo}/issues/${pr}/comments`, auth, { body });
  return "created";
}

async function postAzureDevOps(body: string, marker: string, env: Env): Promise<"created" | "updated"> {
  const collection = need(env, "SYSTEM_COLLECTIONURI").replace(/\/?$/, "/");
  const project = encodeURIComponent(need(env, "SYSTEM_TEAMPROJECTID"));
  const repo = encodeURIComponent(need(env, "BUILD_REPOSITORY_ID"));
  const pr = need(env, "SYSTEM_PULLREQUEST_PULLREQUESTID");
  if (!/^\d+$/.test(pr)) throw new CommentError(`SYSTEM_PULLREQUEST_PULLREQUESTID is not a number: ${pr}`);
  const auth = `Bearer ${need(env, "SYSTEM_ACCESSTOKEN")}`;
  const threads = `${collection}${project}/_apis/git/repositories/${repo}/pullRequests/${pr}/threads`;
  const { json } = await call("GET", `${threads}?api-version=7.1`, auth);
  const list = ((json as { value?: unknown[] } | undefined)?.value ?? []) as {
    id: number;
    comments?: { id: number; content?: string }[];
  }[];
  for (const t of list) {
    const first = t.comments?.[0];
    if (first && (first.content ?? "").startsWith(marker)) {
      await call("PATCH", `${threads}/${t.id}/comments/${first.id}?api-version=7.1`, auth, { content: body });
      return "updated";
    }
  }
  // status 4 (closed): an informational thread that does not hold the pull request's "resolve all" check.
  await call("POST", `${threads}?api-version=7.1`, auth, {
    comments: [{ parentCommentId: 0, content: body, commentType: 1 }],
    status: 4,
  });
  return "created";
}

/** The pull request a merge commit came from: GitHub's commit → pulls API, Azure DevOps' "Merged PR n:". */
export async function mergedPullRequest(env: Env = process.env): Promise<string | undefined> {
  if (platformOf(env) === "azure-devops") {
    return /^Merged PR (\d+):/.exec(env.BUILD_SOURCEVERSIONMESSAGE ?? "")?.[1];
  }
  const api = (env.GITHUB_API_URL ?? "https://api.github.com").replace(/\/$/, "");
  const { json } = await call(
    "GET",
    `${api}/repos/${need(env, "GITHUB_REPOSITORY")}/commits/${need(env, "GITHUB_SHA")}/pulls`,
    `Bearer ${need(env, "GITHUB_TOKEN")}`,
  );
  const first = ((json ?? []) as { number?: number }[])[0];
  return first?.number === undefined ? undefined : String(first.number);
}

async function main(argv: string[]): Promise<void> {
  const [command, flag, file] = argv;
  if (command === "post" && flag === "--body-file" && file) {
    const outcome = await postComment(readFileSync(file, "utf8"));
    process.stdout.write(`pr-comment: ${outcome} the plan comment\n`);
  } else if (command === "merged-pr" && argv.length === 1) {
    process.stdout.write(`${(await mergedPullRequest()) ?? ""}\n`);
  } else {
    throw new CommentError("usage: pr-comment.ts post --body-file FILE | pr-comment.ts merged-pr");
  }
}

// Run as a script (not imported by a test); argv[1] may be a symbolic link to this file.
if (process.argv[1] && import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href) {
  main(process.argv.slice(2)).catch((e: unknown) => {
    process.stderr.write(`pr-comment: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(2);
  });
}
