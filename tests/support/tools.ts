// Tests that need an outside tool fail, naming the command that installs it; they never skip.
import { execFileSync } from "node:child_process";

const setupHint = "run 'bash scripts/setup.sh' (the README's first set-up command)";

/** Returns the tool's absolute path, or throws an error that says how to install it. */
export function requireTool(command: string, installHint = setupHint): string {
  try {
    return execFileSync("bash", ["-c", `command -v ${JSON.stringify(command)}`], { encoding: "utf8" }).trim();
  } catch {
    throw new Error(`'${command}' is not installed: ${installHint}`);
  }
}

/** Checks that a Python module imports under the given interpreter; throws with the install command. */
export function requirePythonModule(python: string, module: string, aptPackage: string): void {
  try {
    execFileSync(python, ["-c", `import ${module}`], { stdio: "ignore" });
  } catch {
    throw new Error(
      `${python} cannot import '${module}': run 'apt-get install -y ${aptPackage}' (or ${setupHint})`,
    );
  }
}
