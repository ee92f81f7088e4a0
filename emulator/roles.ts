// Entra built-in directory roles the emulator knows, by display name and role template id (the `wids`
// claim of a delegated token), and what each may do to authentication methods and policy.

export const DirectoryRole = {
  "Global Administrator": "62e90394-69f5-4237-9190-012177145e10",
  "Privileged Authentication Administrator": "7be44c8a-adaf-4e2a-84d6-ab2649e08a13",
  "Authentication Administrator": "c4e39bd9-1100-46d3-8c65-fb160da0071f",
  "Authentication Policy Administrator": "0526716b-113d-4c15-b2c8-68e3c22b9f80",
  "Global Reader": "f2ef992c-3afb-46b9-b7cf-a126ee74c451",
  "User Administrator": "fe930be7-5e62-47db-91af-98c3a49a38b1",
} as const;
export type DirectoryRoleName = keyof typeof DirectoryRole;

export function roleTemplateId(name: string): string | undefined {
  return (DirectoryRole as Record<string, string>)[name];
}

const id = DirectoryRole;

/** May manage (write) authentication methods of a non-privileged user. */
export const methodWriters = new Set<string>([
  id["Global Administrator"],
  id["Privileged Authentication Administrator"],
  id["Authentication Administrator"],
]);
/** May manage authentication methods of a privileged user (one holding an admin role). */
export const privilegedMethodWriters = new Set<string>([
  id["Global Administrator"],
  id["Privileged Authentication Administrator"],
]);
export const methodReaders = new Set<string>([...methodWriters, id["Global Reader"]]);
export const policyWriters = new Set<string>([
  id["Global Administrator"],
  id["Authentication Policy Administrator"],
]);
export const policyReaders = new Set<string>([...policyWriters, id["Global Reader"]]);
export const directoryReaders = new Set<string>(Object.values(DirectoryRole));
