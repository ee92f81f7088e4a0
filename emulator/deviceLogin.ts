// The page a device-code sign-in sends its operator to (`verification_uri`, /devicelogin): Entra's page
// asks for the code and then for the account; the emulator has no passwords, so its form asks for the code
// and the user principal name to sign in as, and approves the code as that person. The admin route
// (/_emulator/device-codes/approve) and `keyfleet emulator --sign-in-operator` do the same without a browser.
import type { EmulatorContext } from "./context.js";

export interface PageResponse {
  status: number;
  html: string;
}

export function handleDeviceLogin(
  ctx: EmulatorContext,
  method: string,
  rawBody: string | undefined,
): PageResponse {
  if (method === "GET") return { status: 200, html: page("") };
  if (method !== "POST") return { status: 405, html: page("Use the form on this page.") };
  const form = new URLSearchParams(rawBody ?? "");
  const userCode = (form.get("code") ?? "").trim();
  const upn = (form.get("userPrincipalName") ?? "").trim();
  const user = upn ? ctx.directory.user(upn) : undefined;
  if (!user) return { status: 404, html: page(`No account ${upn || "(none given)"} in this tenant.`) };
  if (!ctx.deviceCodes.approve(userCode, user.id))
    return { status: 404, html: page(`No pending sign-in has the code ${userCode || "(none given)"}.`) };
  return {
    status: 200,
    html: page(`Signed in as ${user.userPrincipalName}. You can close this page and return to the station.`),
  };
}

function page(message: string): string {
  const note = message ? `<p role="status">${escapeHtml(message)}</p>` : "";
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Sign in (Keyfleet Entra emulator)</title></head>
<body>
<h1>Sign in to the Entra emulator</h1>
${note}
<form method="post" action="/devicelogin">
<p><label>Code <input name="code" autocomplete="off" required></label></p>
<p><label>Account (user principal name) <input name="userPrincipalName" required></label></p>
<p><button type="submit">Sign in</button></p>
</form>
</body></html>
`;
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
