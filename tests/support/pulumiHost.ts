// Drives Pulumi's own dynamic-provider host (`@pulumi/pulumi/cmd/dynamic-provider`) over gRPC, the way the
// engine does: spawn it, read its port, then Configure/Check/Diff/Create/Read/Update/Delete with Structs
// that carry the serialized provider under `__provider`.
import { type ChildProcess, spawn } from "node:child_process";
import { createRequire } from "node:module";
import type * as grpcTypes from "@grpc/grpc-js";
import type * as providerGrpcTypes from "@pulumi/pulumi/proto/provider_grpc_pb.js";
import type * as providerPbTypes from "@pulumi/pulumi/proto/provider_pb.js";
import type * as structPbTypes from "google-protobuf/google/protobuf/struct_pb.js";

// The generated protobuf modules are CommonJS that Node's ESM loader cannot see named exports in: require them.
const require = createRequire(import.meta.url);
const grpc = require("@grpc/grpc-js") as typeof grpcTypes;
const providerGrpc = require("@pulumi/pulumi/proto/provider_grpc_pb") as typeof providerGrpcTypes;
const providerPb = require("@pulumi/pulumi/proto/provider_pb") as typeof providerPbTypes;
const structPb = require("google-protobuf/google/protobuf/struct_pb") as typeof structPbTypes;

export type Props = Record<string, unknown>;

export interface DiffAnswer {
  changes: "unknown" | "none" | "some";
  replaces: string[];
  deleteBeforeReplace: boolean;
}

export interface DynamicProviderHost {
  /** Sends the stack config (keys as `<project>:<key>`), as the engine does before anything else. */
  configure(config: Record<string, string>): Promise<void>;
  check(
    urn: string,
    olds: Props,
    news: Props,
  ): Promise<{ inputs: Props; failures: { property: string; reason: string }[] }>;
  diff(id: string, urn: string, olds: Props, news: Props): Promise<DiffAnswer>;
  create(urn: string, properties: Props): Promise<{ id: string; properties: Props }>;
  read(
    id: string,
    urn: string,
    properties: Props,
  ): Promise<{ id: string; properties: Props; inputs?: Props }>;
  update(id: string, urn: string, olds: Props, news: Props): Promise<{ properties: Props }>;
  delete(id: string, urn: string, properties: Props): Promise<void>;
  /** Everything the host wrote on stderr so far (tests check secrets never appear there). */
  stderr(): string;
  stop(): Promise<void>;
}

export interface StartHostOptions {
  /** The provider process's working directory: the Pulumi project directory. */
  cwd: string;
  project: string;
  env?: NodeJS.ProcessEnv;
}

type Unary<Req, Res> = (req: Req, cb: (err: grpcTypes.ServiceError | null, res: Res) => void) => unknown;

function call<Req, Res>(fn: Unary<Req, Res>, req: Req): Promise<Res> {
  return new Promise((resolve, reject) => {
    fn(req, (err, res) => (err ? reject(new Error(err.details || err.message)) : resolve(res)));
  });
}

function toStruct(value: Props): structPbTypes.Struct {
  return structPb.Struct.fromJavaScript(value as Record<string, structPbTypes.JavaScriptValue>);
}

function fromStruct(value: structPbTypes.Struct | undefined): Props {
  return (value?.toJavaScript() ?? {}) as Props;
}

export function urnFor(project: string, type: string, name: string, stack = "test"): string {
  return `urn:pulumi:${stack}::${project}::${type}::${name}`;
}

/** Starts the dynamic-provider host and connects a gRPC client to it. */
export async function startDynamicProviderHost(opts: StartHostOptions): Promise<DynamicProviderHost> {
  const script = require.resolve("@pulumi/pulumi/cmd/dynamic-provider");
  const child: ChildProcess = spawn(process.execPath, [script, "127.0.0.1:1"], {
    cwd: opts.cwd,
    env: { ...process.env, ...opts.env, PULUMI_NODEJS_PROJECT: opts.project, PULUMI_PROJECT: opts.project },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr?.on("data", (d: Buffer) => {
    stderr += d.toString();
  });
  const port = await new Promise<number>((resolve, reject) => {
    let out = "";
    const onData = (d: Buffer) => {
      out += d.toString();
      const m = /^(\d+)\s*$/m.exec(out);
      if (m) {
        child.stdout?.off("data", onData);
        resolve(Number(m[1]));
      }
    };
    child.stdout?.on("data", onData);
    child.once("exit", (code) => reject(new Error(`dynamic-provider host exited (${code}): ${stderr}`)));
    child.once("error", reject);
  });
  const client = new providerGrpc.ResourceProviderClient(
    `127.0.0.1:${port}`,
    grpc.credentials.createInsecure(),
  );

  return {
    async configure(config) {
      const req = new providerPb.ConfigureRequest();
      req.setArgs(toStruct(config));
      req.setAcceptsecrets(true);
      await call<providerPbTypes.ConfigureRequest, providerPbTypes.ConfigureResponse>(
        (r, cb) => client.configure(r, cb),
        req,
      );
    },
    async check(urn, olds, news) {
      const req = new providerPb.CheckRequest();
      req.setUrn(urn);
      req.setOlds(toStruct(olds));
      req.setNews(toStruct(news));
      const res = await call<providerPbTypes.CheckRequest, providerPbTypes.CheckResponse>(
        (r, cb) => client.check(r, cb),
        req,
      );
      return {
        inputs: fromStruct(res.getInputs()),
        failures: res.getFailuresList().map((f) => ({ property: f.getProperty(), reason: f.getReason() })),
      };
    },
    async diff(id, urn, olds, news) {
      const req = new providerPb.DiffRequest();
      req.setId(id);
      req.setUrn(urn);
      req.setOlds(toStruct(olds));
      req.setNews(toStruct(news));
      const res = await call<providerPbTypes.DiffRequest, providerPbTypes.DiffResponse>(
        (r, cb) => client.diff(r, cb),
        req,
      );
      const C = providerPb.DiffResponse.DiffChanges;
      const c = res.getChanges();
      return {
        changes: c === C.DIFF_SOME ? "some" : c === C.DIFF_NONE ? "none" : "unknown",
        replaces: res.getReplacesList(),
        deleteBeforeReplace: res.getDeletebeforereplace(),
      };
    },
    async create(urn, properties) {
      const req = new providerPb.CreateRequest();
      req.setUrn(urn);
      req.setProperties(toStruct(properties));
      const res = await call<providerPbTypes.CreateRequest, providerPbTypes.CreateResponse>(
        (r, cb) => client.create(r, cb),
        req,
      );
      return { id: res.getId(), properties: fromStruct(res.getProperties()) };
    },
    async read(id, urn, properties) {
      const req = new providerPb.ReadRequest();
      req.setId(id);
      req.setUrn(urn);
      req.setProperties(toStruct(properties));
      const res = await call<providerPbTypes.ReadRequest, providerPbTypes.ReadResponse>(
        (r, cb) => client.read(r, cb),
        req,
      );
      const inputs = res.getInputs();
      return {
        id: res.getId(),
        properties: fromStruct(res.getProperties()),
        ...(inputs ? { inputs: fromStruct(inputs) } : {}),
      };
    },
    async update(id, urn, olds, news) {
      const req = new providerPb.UpdateRequest();
      req.setId(id);
      req.setUrn(urn);
      req.setOlds(toStruct(olds));
      req.setNews(toStruct(news));
      const res = await call<providerPbTypes.UpdateRequest, providerPbTypes.UpdateResponse>(
        (r, cb) => client.update(r, cb),
        req,
      );
      return { properties: fromStruct(res.getProperties()) };
    },
    async delete(id, urn, properties) {
      const req = new providerPb.DeleteRequest();
      req.setId(id);
      req.setUrn(urn);
      req.setProperties(toStruct(properties));
      await call<providerPbTypes.DeleteRequest, unknown>((r, cb) => client.delete(r, cb), req);
    },
    stderr: () => stderr,
    async stop() {
      client.close();
      if (child.exitCode !== null) return;
      await new Promise<void>((resolve) => {
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
      });
    },
  };
}
