// The plan comment posted by scripts/pr-comment.ts: created once, then updated in place (found by its marker)
// on GitHub and on Azure DevOps, other people's comments left alone; the merged pull request named for the
// records; errors that say which request failed and never carry the token. The services are loopback stand-ins.
import { afterEach, describe, expect, it } from "vitest";
import { CommentError, mergedPullRequest, postComment } from "../../scripts/pr-comment.js";
import { type LoopbackApi, type Seen, startLoopbackApi } from "./loopbackApi.js";

const token = "ghs_job-token-never-printed";
const body = (n: number) => `<!-- keyfleet-plan stack=prod -->\n### Keyfleet plan\n\nrun ${n}`;
let api: LoopbackApi | undefined;
afterEach(async () => {
  await api?.close();
  api = undefined;
});

describe("the plan comment on GitHub", () => {
  it("should create the comment once and then update it in place", async () => {
    const comments: { id: number; body: string }[] = [{ id: 7, body: "LGTM" }];
    api = await startLoopbackApi((s: Seen) => {
      if (s.method === "GET" && s.url.startsWith("/repos/acme/keys/issues/12/comments?per_page=100&page=1"))
        return { json: comments };
      if (s.method === "POST" && s.url === "/repos/acme/keys/issues/12/comments") {
        comments.push({ id: 99, body: (s.body as { body: string }).body });
        return { status: 201, json: { id: 99 } };
      }
      const m = /^\/repos\/acme\/keys\/issues\/comments\/(\d+)$/.exec(s.url);
      if (s.method === "PATCH" && m) {
        const c = comments.find((x) => x.id === Number(m[1]));
        if (c) c.body = (s.body as { body: string }).body;
        return { json: { id: Number(m[1]) } };
      }
      return { status: 404, json: { message: "Not Found" } };
    });
    const env = {
      GITHUB_ACTIONS: "true",
      GITHUB_API_URL: api.base,
      GITHUB_REPOSITORY: "acme/keys",
      GITHUB_TOKEN: token,
      KEYFLEET_PULL_REQUEST: "12",
    };
    expect(await postComment(body(1), env)).toBe("created");
    expect(await postComment(body(2), env)).toBe("updated");
    expect(comments).toEqual([
      { id: 7, body: "LGTM" },
      { id: 99, body: body(2) },
    ]);
    expect(api.seen.every((s) => s.authorization === `Bearer ${token}`)).toBe(true);
    expect(api.seen.map((s) => s.method)).toEqual(["GET", "POST", "GET", "PATCH"]);
  });

  it("should name the failed request and status, never the token", async () => {
    api = await startLoopbackApi(() => ({
      status: 403,
      json: { message: "Resource not accessible by integration" },
    }));
    const env = {
      GITHUB_ACTIONS: "true",
      GITHUB_API_URL: api.base,
      GITHUB_REPOSITORY: "acme/keys",
      GITHUB_TOKEN: token,
      KEYFLEET_PULL_REQUEST: "12",
    };
    const err = await postComment(body(1), env).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CommentError);
    expect(String(err)).toMatch(/GET .*\/issues\/12\/comments.*HTTP 403 .*not accessible/);
    expect(String(err)).not.toContain(token);
  });

  it("should refuse a body without its marker, and a pull request that is not a number", async () => {
    const env = {
      GITHUB_ACTIONS: "true",
      GITHUB_REPOSITORY: "a/b",
      GITHUB_TOKEN: token,
      KEYFLEET_PULL_REQUEST: "1",
    };
    await expect(postComment("no marker", env)).rejects.toThrow(/marker/);
    await expect(postComment(body(1), { ...env, KEYFLEET_PULL_REQUEST: "1/../../x" })).rejects.toThrow(
      /not a number/,
    );
  });

  it("should name the pull request a merge commit came from", async () => {
    api = await startLoopbackApi((s) =>
      s.url === "/repos/acme/keys/commits/abc123/pulls" ? { json: [{ number: 42 }] } : { status: 404 },
    );
    const env = {
      GITHUB_ACTIONS: "true",
      GITHUB_API_URL: api.base,
      GITHUB_REPOSITORY: "acme/keys",
      GITHUB_TOKEN: token,
      GITHUB_SHA: "abc123",
    };
    expect(await mergedPullRequest(env)).toBe("42");
  });
});

describe("the plan comment on Azure DevOps", () => {
  it("should create a closed thread once and then update its first comment", async () => {
    const threads: { id: number; comments: { id: number; content: string }[] }[] = [
      { id: 3, comments: [{ id: 1, content: "please fix the typo" }] },
    ];
    const prefix = "/acme/proj-id/_apis/git/repositories/repo-id/pullRequests/5/threads";
    api = await startLoopbackApi((s) => {
      if (s.method === "GET" && s.url === `${prefix}?api-version=7.1`) return { json: { value: threads } };
      if (s.method === "POST" && s.url === `${prefix}?api-version=7.1`) {
        const b = s.body as { comments: { content: string; parentCommentId: number }[]; status: number };
        threads.push({ id: 8, comments: [{ id: 1, content: b.comments[0]?.content ?? "" }] });
        return { json: { id: 8 } };
      }
      if (s.method === "PATCH" && s.url === `${prefix}/8/comments/1?api-version=7.1`) {
        const t = threads.find((x) => x.id === 8);
        if (t?.comments[0]) t.comments[0].content = (s.body as { content: string }).content;
        return { json: {} };
      }
      return { status: 404 };
    });
    const env = {
      TF_BUILD: "True",
      SYSTEM_COLLECTIONURI: `${api.base}/acme/`,
      SYSTEM_TEAMPROJECTID: "proj-id",
      BUILD_REPOSITORY_ID: "repo-id",
      SYSTEM_PULLREQUEST_PULLREQUESTID: "5",
      SYSTEM_ACCESSTOKEN: "ado-job-token",
    };
    expect(await postComment(body(1), env)).toBe("created");
    expect(api.seen[1]?.body).toMatchObject({
      status: 4,
      comments: [{ parentCommentId: 0, commentType: 1 }],
    });
    expect(await postComment(body(2), env)).toBe("updated");
    expect(threads.map((t) => t.comments[0]?.content)).toEqual(["please fix the typo", body(2)]);
    expect(api.seen.every((s) => s.authorization === "Bearer ado-job-token")).toBe(true);
  });

  it("should read the merged pull request from Azure Repos' merge message", async () => {
    const env = { TF_BUILD: "True", BUILD_SOURCEVERSIONMESSAGE: "Merged PR 17: Give Ada a backup key" };
    expect(await mergedPullRequest(env)).toBe("17");
    expect(await mergedPullRequest({ ...env, BUILD_SOURCEVERSIONMESSAGE: "hotfix" })).toBeUndefined();
  });
});
