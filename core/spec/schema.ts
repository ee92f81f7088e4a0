// The one definition of the spec file shape: TypeBox schemas that Ajv validates against and that
// scripts/gen-schema.ts emits as specs/keyfleet.schema.json for editors (yaml-language-server).
import { type Static, type TSchema, Type } from "@sinclair/typebox";

export const API_VERSION = "keyfleet.dev/v1";

/** A GUID in its canonical 8-4-4-4-12 form (AAGUIDs and Entra object ids). */
export const GUID_PATTERN = "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$";
/** Entra accepts letters, digits and ' . - _ ! # ^ ~ before the @, no leading, trailing or double dot. */
export const UPN_PATTERN =
  "^[A-Za-z0-9'_!#^~-]+(\\.[A-Za-z0-9'_!#^~-]+)*@[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)+$";
export const DATE_PATTERN = "^[0-9]{4}-[0-9]{2}-[0-9]{2}$";
export const NAME_PATTERN = "^[a-z][a-z0-9-]{0,31}$";
export const SLOT_PATTERN = "^[a-z][a-z0-9-]{0,39}$";

/** Entra keeps at most 30 characters of a FIDO2 method's displayName. */
export const DISPLAY_NAME_MAX = 30;
/** The largest number of keys one person or one group assignment may ask for. */
export const MAX_KEYS = 10;

const Guid = (what: string) =>
  Type.String({
    pattern: GUID_PATTERN,
    description: what,
    patternErrorMessage: `must be a GUID like 2fc0579f-8113-47ea-b116-bb5a8db9202a (${what})`,
  });
const Aaguid = Guid("AAGUID: the authenticator model's attestation GUID");
const ObjectId = Guid("Entra object id");
const Upn = Type.String({
  pattern: UPN_PATTERN,
  description: "userPrincipalName, e.g. ada.lovelace@northwind.example",
  patternErrorMessage: "must be a userPrincipalName like name@domain.example",
});
const Day = (what: string) =>
  Type.String({
    pattern: DATE_PATTERN,
    description: `${what} (YYYY-MM-DD)`,
    patternErrorMessage: "must be a date written YYYY-MM-DD",
  });
const Name = (what: string) =>
  Type.String({
    pattern: NAME_PATTERN,
    description: what,
    patternErrorMessage: "must be lower case letters, digits and dashes, starting with a letter (at most 32)",
  });
const Serial = Type.String({
  pattern: "^[A-Za-z0-9-]{1,32}$",
  description: 'Key serial number, quoted ("12345678") so that leading zeros survive',
  errorMessage: 'must be a quoted serial number of letters, digits and dashes, e.g. "12345678"',
});
const Header = <K extends string>(kind: K) => ({
  apiVersion: Type.Literal(API_VERSION, { description: "Spec format version" }),
  kind: Type.Literal(kind),
});
const strict = { additionalProperties: false } as const;

export const CredProtectSchema = Type.Union(
  [
    Type.Literal(1),
    Type.Literal(2),
    Type.Literal(3),
    Type.Literal("userVerificationOptional"),
    Type.Literal("userVerificationOptionalWithCredentialIDList"),
    Type.Literal("userVerificationRequired"),
  ],
  {
    description: "CTAP2.1 credProtect level: 1, 2, 3 or its WebAuthn name",
    errorMessage:
      "must be 1, 2, 3, userVerificationOptional, userVerificationOptionalWithCredentialIDList or userVerificationRequired",
  },
);

export const KeyProfileDocument = Type.Object(
  {
    ...Header("KeyProfile"),
    name: Name("Profile name that slots and group assignments refer to"),
    description: Type.Optional(Type.String()),
    aaguids: Type.Optional(Type.Array(Aaguid, { description: "Authenticator models allowed, by AAGUID" })),
    models: Type.Optional(
      Type.Array(Type.String({ minLength: 1 }), {
        description: "Model names allowed (as Entra reports them)",
      }),
    ),
    pin: Type.Optional(
      Type.Object(
        {
          length: Type.Integer({ minimum: 4, maximum: 63, description: "PIN length set on the key (4-63)" }),
          forceChange: Type.Optional(
            Type.Boolean({ description: "Force a PIN change on first use (CTAP 2.1)" }),
          ),
        },
        strict,
      ),
    ),
    credProtect: Type.Optional(CredProtectSchema),
    displayName: Type.Optional(
      Type.String({
        minLength: 1,
        description:
          "Template for the Entra displayName: {slot} {model} {serial} {profile} {upn}; rendered to at most 30 characters",
      }),
    ),
  },
  { ...strict, description: "Which keys are acceptable and how they are set up" },
);

const AdoptCriteria = Type.Object(
  {
    aaguids: Type.Optional(Type.Array(Aaguid, { description: "Only credentials of these AAGUIDs" })),
    displayNameContains: Type.Optional(Type.String({ minLength: 1 })),
    createdBefore: Type.Optional(Day("Only credentials registered before this day")),
  },
  { ...strict, description: "Which existing credential the slot may take over" },
);

export const SlotSchema = Type.Object(
  {
    profile: Name("KeyProfile name"),
    state: Type.Optional(
      Type.Union([Type.Literal("active"), Type.Literal("lost"), Type.Literal("retired")], {
        description: "active (default), lost (revoke and replace) or retired (revoke, no replacement)",
        errorMessage: "must be active, lost or retired",
      }),
    ),
    since: Type.Optional(
      Day("When the key was lost or retired; credentials registered before it are revoked"),
    ),
    adopt: Type.Optional(
      Type.Union([Type.Boolean(), AdoptCriteria], {
        description: "Take over a fitting credential the person already has instead of issuing a key",
        errorMessage: "must be true, false or a map of aaguids, displayNameContains, createdBefore",
      }),
    ),
    serial: Type.Optional(Serial),
  },
  strict,
);

const personFields = {
  userPrincipalName: Type.Optional(Upn),
  objectId: Type.Optional(ObjectId),
  displayName: Type.Optional(Type.String({ description: "For people reading the spec; not checked" })),
  leaving: Type.Optional(Day("Last working day; once it has passed, the person's keys are revoked")),
  groupKeys: Type.Optional(
    Type.Union([Type.Literal("include"), Type.Literal("exclude")], {
      description: "Whether group assignments also give this person keys (default include)",
      errorMessage: "must be include or exclude",
    }),
  ),
  slots: Type.Optional(
    Type.Record(Type.String({ pattern: SLOT_PATTERN }), SlotSchema, {
      description: "Named key slots such as primary and backup",
      additionalProperties: false,
    }),
  ),
  keys: Type.Optional(
    Type.Integer({
      minimum: 1,
      maximum: MAX_KEYS,
      description: "Instead of slots: N keys named key-1…key-N",
    }),
  ),
  profile: Type.Optional(Name("KeyProfile for `keys`")),
};

export const PersonEntry = Type.Object(personFields, strict);

export const PersonDocument = Type.Object(
  { ...Header("Person"), ...personFields },
  { ...strict, description: "One person and their key slots" },
);

export const PeopleDocument = Type.Object(
  { ...Header("People"), people: Type.Array(PersonEntry) },
  { ...strict, description: "A list of people and their key slots" },
);

export const GroupAssignmentDocument = Type.Object(
  {
    ...Header("GroupAssignment"),
    name: Name("Assignment name; slots are named group-<name>-<n>"),
    group: Type.Union(
      [
        Type.Object({ objectId: ObjectId }, strict),
        Type.Object({ displayName: Type.String({ minLength: 1 }) }, strict),
      ],
      {
        description: "The Entra group, by objectId or displayName",
        errorMessage: "must be {objectId} or {displayName}",
      },
    ),
    profile: Name("KeyProfile name"),
    keys: Type.Integer({ minimum: 1, maximum: MAX_KEYS, description: "Keys each (transitive) member gets" }),
  },
  { ...strict, description: "Every transitive member of an Entra group gets N keys of a profile" },
);

export const InventoryDocument = Type.Object(
  {
    ...Header("Inventory"),
    keys: Type.Array(
      Type.Object(
        {
          serial: Serial,
          aaguid: Aaguid,
          model: Type.Optional(Type.String({ minLength: 1 })),
          assignedTo: Type.Optional(
            Type.Union([Upn, ObjectId], {
              description: "userPrincipalName or objectId of the holder (a person the specs name)",
              errorMessage: "must be a userPrincipalName or an Entra object id",
            }),
          ),
        },
        strict,
      ),
    ),
  },
  { ...strict, description: "Keys the organisation owns" },
);

export const PolicyDocument = Type.Object(
  {
    ...Header("Policy"),
    unmanaged: Type.Optional(
      Type.Object(
        {
          action: Type.Union([Type.Literal("report"), Type.Literal("remove")], {
            description: "What to do with credentials Entra has and git does not (default report)",
            errorMessage: "must be report or remove",
          }),
          aaguids: Type.Optional(
            Type.Array(Aaguid, { description: "remove applies only to credentials of these AAGUIDs" }),
          ),
        },
        strict,
      ),
    ),
    maxRevokeShare: Type.Optional(
      Type.Number({
        exclusiveMinimum: 0,
        maximum: 1,
        description: "Largest share of managed keys one run may revoke (default 0.1)",
      }),
    ),
    challenge: Type.Optional(
      Type.Union(
        [
          Type.Object({ mode: Type.Literal("v1") }, strict),
          Type.Object(
            { mode: Type.Literal("beta"), minutes: Type.Integer({ minimum: 5, maximum: 43200 }) },
            strict,
          ),
        ],
        {
          description: "Graph challenge: v1 (fixed 5 minutes) or beta with minutes 5-43200",
          errorMessage: "must be {mode: v1} or {mode: beta, minutes: 5-43200}",
        },
      ),
    ),
  },
  { ...strict, description: "Tenant-wide rules (at most one Policy document)" },
);

/** Every document kind and its schema; the loader picks the schema by `kind`. */
export const DOCUMENT_SCHEMAS = {
  KeyProfile: KeyProfileDocument,
  Person: PersonDocument,
  People: PeopleDocument,
  GroupAssignment: GroupAssignmentDocument,
  Inventory: InventoryDocument,
  Policy: PolicyDocument,
} as const satisfies Record<string, TSchema>;

export type DocumentKind = keyof typeof DOCUMENT_SCHEMAS;
export const DOCUMENT_KINDS = Object.keys(DOCUMENT_SCHEMAS) as DocumentKind[];

export type KeyProfileDoc = Static<typeof KeyProfileDocument>;
export type PersonEntryDoc = Static<typeof PersonEntry>;
export type PersonDoc = Static<typeof PersonDocument>;
export type PeopleDoc = Static<typeof PeopleDocument>;
export type GroupAssignmentDoc = Static<typeof GroupAssignmentDocument>;
export type InventoryDoc = Static<typeof InventoryDocument>;
export type PolicyDoc = Static<typeof PolicyDocument>;
export type SlotDoc = Static<typeof SlotSchema>;

/**
 * The published JSON Schema: one if/then branch per kind, so that editors complete the fields of the
 * kind a document declares. Built from the same TypeBox objects the validator uses.
 */
export function specJsonSchema(): Record<string, unknown> {
  const clean = (s: TSchema): unknown => JSON.parse(JSON.stringify(s));
  return {
    $schema: "http://json-schema.org/draft-07/schema#",
    $id: "https://keyfleet.dev/schemas/keyfleet.schema.json",
    title: "Keyfleet spec document",
    description: "One YAML document of a Keyfleet spec (generated from core/spec/schema.ts; do not edit)",
    type: "object",
    required: ["apiVersion", "kind"],
    properties: {
      apiVersion: { const: API_VERSION },
      kind: { enum: DOCUMENT_KINDS },
    },
    allOf: DOCUMENT_KINDS.map((kind) => ({
      if: { properties: { kind: { const: kind } }, required: ["kind"] },
      // biome-ignore lint/suspicious/noThenProperty: JSON Schema's if/then, not a thenable
      then: clean(DOCUMENT_SCHEMAS[kind]),
    })),
  };
}
