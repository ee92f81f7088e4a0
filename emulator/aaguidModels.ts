// A small AAGUID → model table for the `model` property of stored methods (names as the vendors publish
// them in FIDO metadata); tenants may add more in their YAML.

export const knownModels: Record<string, string> = {
  "cb69481e-8ff7-4039-93ec-0a2729a154a8": "YubiKey 5 Series",
  "ee882879-721c-4913-9775-3dfcce97072a": "YubiKey 5 Series",
  "2fc0579f-8113-47ea-b116-555a8db9202a": "YubiKey 5 Series with NFC",
  "fa2b99dc-9e39-4257-8f92-4a30d23c4118": "YubiKey 5 Series with NFC",
  "de1e552d-db1d-4423-a619-566b625cdc84": "Security Key NFC by Yubico",
  "a4e9fc6d-4cbe-4758-b8ba-37598bb5bbaa": "Security Key NFC by Yubico",
  "73402251-f2a8-4f03-873e-3cb6db604b03": "uTrust FIDO2 Security Key",
  "90a3ccdf-635c-4729-a248-9b709135078f": "Microsoft Authenticator",
  "de503f9c-21a4-4f76-b4b7-558eb55c6f89": "Microsoft Authenticator",
};

export function modelTable(extra: Record<string, string> | undefined): Map<string, string> {
  const table = new Map<string, string>();
  for (const [k, v] of Object.entries({ ...knownModels, ...(extra ?? {}) })) table.set(k.toLowerCase(), v);
  return table;
}
