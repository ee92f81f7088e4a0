// How the Pulumi program sets up the Node SDK before it declares thousands of resources. Each setting here
// removes per-resource work the SDK does whether or not anyone reads it; none changes what is declared or what
// state holds (providers/README.md, "Scale").
import * as pulumi from "@pulumi/pulumi";

/** Set to 1 to keep the SDK's per-resource debug messages (seen with `pulumi up --debug`). */
export const sdkDebugEnv = "KEYFLEET_PULUMI_SDK_DEBUG";

type Log = { debug: (...args: unknown[]) => Promise<void> };

export function prepareSdkForScale(env: NodeJS.ProcessEnv = process.env): void {
  // The SDK records a formatted stack (mapped through source maps) on every promise it creates; at 10,000
  // resources that took minutes and ran the program out of heap. Keyfleet's errors carry their meaning in the
  // message (file:line:col for specs), so declarations run without stacks.
  Error.stackTraceLimit = 0;
  // The SDK also records each resource's source position and stack trace in state, reading them from a
  // `new Error().stack` it takes with the limit lifted: about 680 of a KeyAssignment's bytes, and a formatted
  // (source-mapped) stack per resource. A stack formatted to its first line alone gives it no frames, so it
  // records none; errors still read "Name: message", as they did with the limit at 0.
  Error.prepareStackTrace = (error: Error) => `${error.name}: ${error.message}`;
  // Every registration sends the engine three debug messages ("Registering resource…", "…RPC prepared",
  // "…RPC finished"), each its own gRPC call, queued one after another, which the engine drops unless run
  // with --debug: about a fifth of an unchanged run's CPU across program and engine. The SDK looks the
  // function up on its log module at each call, so replacing it there reaches every caller.
  if (env[sdkDebugEnv] !== "1") (pulumi.log as unknown as Log).debug = () => Promise.resolve();
}
