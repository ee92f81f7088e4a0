// The demo's change in git: one person taken out of the copied specs, as a leaver's merge request does,
// comments and every other entry left as they were.
import { readFileSync, writeFileSync } from "node:fs";
import { isMap, isSeq, parseAllDocuments } from "yaml";
import { DemoFailure } from "./output.js";

/** Removes the person with this userPrincipalName from a People file; throws when the file does not list them. */
export function removePerson(file: string, userPrincipalName: string): void {
  const docs = parseAllDocuments(readFileSync(file, "utf8"));
  let removed = false;
  for (const doc of docs) {
    const people = doc.get("people");
    if (!isSeq(people)) continue;
    const at = people.items.findIndex(
      (p) => isMap(p) && String(p.get("userPrincipalName")).toLowerCase() === userPrincipalName.toLowerCase(),
    );
    if (at >= 0) {
      people.items.splice(at, 1);
      removed = true;
    }
  }
  if (!removed) throw new DemoFailure(`${file} does not list ${userPrincipalName}`);
  writeFileSync(file, docs.map((d) => d.toString()).join(""));
}
