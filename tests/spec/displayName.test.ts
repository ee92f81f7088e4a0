import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { renderDisplayName, templateProblems } from "../../core/spec/index.js";

describe("display names", () => {
  it("should render the template with the values known and collapse spaces", () => {
    expect(
      renderDisplayName("{slot} {model} {serial}", {
        slot: "primary",
        model: "YubiKey 5C",
        serial: "18000004",
      }),
    ).toBe("primary YubiKey 5C 18000004");
    expect(renderDisplayName("{slot} {model} {serial}", { slot: "backup" })).toBe("backup");
  });

  it("should shorten the upn and the model before the serial to stay within 30 characters", () => {
    const name = renderDisplayName("{slot} {model} {serial}", {
      slot: "primary",
      model: "YubiKey 5 NFC FIPS Security Key",
      serial: "18000004",
    });
    expect(name.length).toBeLessThanOrEqual(30);
    expect(name).toBe("primary YubiKey 5 NFC 18000004");
  });

  it("should always give at most 30 characters, the same for the same input", () => {
    fc.assert(
      fc.property(
        fc.string(),
        fc.string(),
        fc.string(),
        fc.string({ maxLength: 40 }),
        (slot, model, serial, fixed) => {
          const t = `${fixed}{slot} {model} {serial}`;
          const a = renderDisplayName(t, { slot, model, serial });
          expect(a.length).toBeLessThanOrEqual(30);
          expect(renderDisplayName(t, { slot, model, serial })).toBe(a);
        },
      ),
    );
  });

  it("should name unknown placeholders and overlong fixed text", () => {
    expect(templateProblems("{slot} {owner}")).toEqual([
      expect.stringContaining("unknown placeholder {owner}"),
    ]);
    expect(templateProblems("Northwind Forge corporate security key {serial}")).toEqual([
      expect.stringContaining("38 characters of fixed text"),
    ]);
    expect(templateProblems("{slot} {model} {serial} {profile} {upn}")).toEqual([]);
  });
});
