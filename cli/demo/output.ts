// What the demo prints: a heading per step, the key lines of each tool's output, and never a secret (every
// line passes through the redactor that knows the demo's secrets, as a second guard behind the tools').
export class DemoOutput {
  private readonly secrets: string[] = [];

  constructor(private readonly write: (text: string) => void = (t) => process.stdout.write(t)) {}

  /** A value that must never be printed (client secret, admin secret, passphrase). */
  secret(value: string): void {
    if (value.length >= 4) this.secrets.push(value);
  }

  heading(step: number, title: string): void {
    this.write(`\n== Step ${step}: ${title} ==\n`);
  }

  line(text = ""): void {
    this.write(`${this.redact(text)}\n`);
  }

  /** Lines of a tool's output, indented, blank lines dropped. */
  block(text: string, keep: (line: string) => boolean = () => true): void {
    for (const l of text.split("\n")) if (l.trim() !== "" && keep(l)) this.line(`    ${l.trimEnd()}`);
  }

  redact(text: string): string {
    let out = text;
    for (const s of this.secrets) out = out.split(s).join("***");
    return out;
  }
}

/** A step did not behave as the demo expects: its message says which and why. */
export class DemoFailure extends Error {}
