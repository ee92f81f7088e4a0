// The terminal's picture of a running station: one live line per key (key, model, person, step, and
// "touch the key" while it waits), redrawn in place on a terminal; notices and errors scroll above it.
// Without a terminal (a pipe, a log file) each change is one plain line. Events never carry a PIN.
import type { StationEvent } from "./events.js";

interface Line {
  keyId: string;
  model?: string;
  person?: string;
  step?: string;
  touch?: boolean;
  state?: string;
}

export interface TerminalOut {
  write(text: string): void;
  isTTY?: boolean;
}

export class TerminalView {
  private readonly lines = new Map<string, Line>();
  private drawn = 0;

  constructor(private readonly out: TerminalOut) {}

  event(e: StationEvent): void {
    switch (e.type) {
      case "station":
        this.log(
          `Station ${e.stationId}${e.operator ? ` signed in as ${e.operator}` : ""} (${e.mode}${e.dryRun ? ", dry run" : ""})`,
        );
        return;
      case "key-attached":
        this.lines.set(e.key.keyId, {
          keyId: e.key.keyId,
          ...(e.key.model ? { model: e.key.model } : {}),
          state: "plugged in",
        });
        break;
      case "key-detached":
        this.lines.delete(e.keyId);
        this.log(`${e.keyId}: unplugged`);
        break;
      case "step": {
        const l = this.line(e.keyId);
        l.step = e.step;
        l.touch = false;
        if (e.task) l.person = `${e.task.userPrincipalName} (${e.task.slot})`;
        l.state = e.detail ?? "";
        break;
      }
      case "touch":
        this.line(e.keyId).touch = true;
        break;
      case "provisioned": {
        const l = this.line(e.keyId);
        l.step = "done";
        l.touch = false;
        l.state = `label it "${e.label}"`;
        this.log(
          `${e.keyId}: provisioned for ${e.task.userPrincipalName}; put the label "${e.label}" on the key`,
        );
        break;
      }
      case "error": {
        const l = this.line(e.keyId ?? "station");
        l.touch = false;
        l.state = `failed: ${e.reason}`;
        this.log(
          `${e.keyId ?? "station"}: ${e.step ? `${e.step}: ` : ""}${e.message}${e.task && e.task !== "none" ? ` (task ${e.task})` : ""}`,
        );
        break;
      }
      case "notice":
        this.log(`${e.keyId ?? e.taskId ?? "station"}: ${e.message}`);
        return;
      case "quarantined":
        this.log(`task ${e.taskId} quarantined: ${e.reason}`);
        return;
      case "recovered":
        this.log(`task ${e.taskId} ${e.outcome}: ${e.detail}`);
        return;
      case "dry-run":
        this.log(`${e.keyId ? `${e.keyId}: ` : ""}${e.message}`);
        return;
      case "idle":
        this.log("Nothing more to do.");
        return;
    }
    this.redraw(e.type === "step" || e.type === "touch" || e.type === "key-attached" ? e : undefined);
  }

  private line(keyId: string): Line {
    let l = this.lines.get(keyId);
    if (!l) {
      l = { keyId };
      this.lines.set(keyId, l);
    }
    return l;
  }

  static format(l: Line): string {
    const parts = [l.keyId, l.model ?? "", l.person ?? "", l.step ?? "", l.state ?? ""].filter(Boolean);
    return `${parts.join("  ")}${l.touch ? "  >> touch the key <<" : ""}`;
  }

  private log(text: string): void {
    if (this.out.isTTY) this.erase();
    this.out.write(`${text}\n`);
    if (this.out.isTTY) this.draw();
  }

  private redraw(changed?: StationEvent): void {
    if (this.out.isTTY) {
      this.erase();
      this.draw();
      return;
    }
    const keyId =
      changed && "keyId" in changed
        ? changed.keyId
        : changed?.type === "key-attached"
          ? changed.key.keyId
          : undefined;
    const l = keyId ? this.lines.get(keyId) : undefined;
    if (l) this.out.write(`${TerminalView.format(l)}\n`);
  }

  private erase(): void {
    if (this.drawn > 0) this.out.write(`\x1b[${this.drawn}A\x1b[J`);
    this.drawn = 0;
  }

  private draw(): void {
    for (const l of this.lines.values()) this.out.write(`\x1b[2K${TerminalView.format(l)}\n`);
    this.drawn = this.lines.size;
  }
}
