// Entra-shaped creationOptions for tests, following the real captures in graph-fido2.md §2.2: a long
// base64url challenge, a 51-byte user id beginning "OF:", ES256 and RS256, Entra's extensions.
import { randomBytes } from "node:crypto";

export function entraCreationOptions(
  opts: { excludeIds?: string[]; challengeBytes?: number } = {},
): Record<string, unknown> {
  const userId = Buffer.concat([Buffer.from("OF:"), randomBytes(48)]);
  return {
    "@odata.context":
      "https://graph.microsoft.com/beta/$metadata#microsoft.graph.webauthnCredentialCreationOptions",
    challengeTimeoutDateTime: "2026-06-13T11:26:35Z",
    publicKey: {
      rp: { id: "login.microsoft.com", name: "Microsoft" },
      user: { id: userId.toString("base64url"), name: "kim.user@contoso.example", displayName: "Kim User" },
      challenge: randomBytes(opts.challengeBytes ?? 600).toString("base64url"),
      pubKeyCredParams: [
        { type: "public-key", alg: -7 },
        { type: "public-key", alg: -257 },
      ],
      timeout: 60000,
      excludeCredentials: (opts.excludeIds ?? []).map((id) => ({ type: "public-key", id, transports: [] })),
      authenticatorSelection: {
        authenticatorAttachment: "cross-platform",
        requireResidentKey: true,
        userVerification: "required",
      },
      attestation: "direct",
      extensions: {
        hmacCreateSecret: true,
        enforceCredentialProtectionPolicy: true,
        credentialProtectionPolicy: "userVerificationOptional",
      },
    },
  };
}
