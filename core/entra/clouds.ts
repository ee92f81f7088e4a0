// National clouds: the authority (sign-in) host and the Microsoft Graph host for each.
// Hosts from Microsoft's national cloud deployment docs; "custom" takes both from configuration.

export type CloudName = "public" | "usgov" | "usgov-dod" | "china" | "custom";

export interface CloudEndpoints {
  /** Where tokens come from, e.g. https://login.microsoftonline.com */
  authorityHost: string;
  /** Graph's root, without version, e.g. https://graph.microsoft.com */
  graphUrl: string;
}

export const CLOUDS: Readonly<Record<Exclude<CloudName, "custom">, CloudEndpoints>> = {
  public: { authorityHost: "https://login.microsoftonline.com", graphUrl: "https://graph.microsoft.com" },
  usgov: { authorityHost: "https://login.microsoftonline.us", graphUrl: "https://graph.microsoft.us" },
  "usgov-dod": {
    authorityHost: "https://login.microsoftonline.us",
    graphUrl: "https://dod-graph.microsoft.us",
  },
  china: {
    authorityHost: "https://login.chinacloudapi.cn",
    graphUrl: "https://microsoftgraph.chinacloudapi.cn",
  },
};

export function isCloudName(value: string): value is CloudName {
  return value === "custom" || Object.hasOwn(CLOUDS, value);
}
