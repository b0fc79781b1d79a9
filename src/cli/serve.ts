// `sona serve [model]`: the HTTP runner. Order, as the original: load the model (if given), bind,
// print the ready line to stdout, serve; nothing else ever goes to stdout. The run ends (and the
// CLI exits 0) on SIGINT/SIGTERM or when the owner process dies.
import { readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { defineCommand } from "citty";
import { setting } from "../config.ts";
import { WhisperEngine } from "../engine/index.ts";
import { createApp, listen, loadModel, readyLine, ServerContext, shutdown, startIdleUnload, watchForShutdown } from "../server/index.ts";
import { parseAllowedHosts } from "../server/hosts.ts";
import { getCommit, VERSION } from "../version.ts";
import { deviceFlags, gpuArgs } from "../gpu/args.ts";
import type { DeviceRequest } from "../gpu/choose.ts";
import { maxAudioDurationArg, readMaxAudioDuration, verboseArg } from "./args.ts";
import { parseDuration, parseSize } from "./units.ts";
import { UsageError } from "./usage.ts";

export default defineCommand({
  meta: {
    name: "serve",
    description: "Run the HTTP server (OpenAI-compatible API) for an owner process",
  },
  args: {
    model: { type: "positional", required: false, description: "Model file or name to load before the ready line" },
    host: { type: "string", default: "127.0.0.1", description: "Address to bind" },
    port: { type: "string", alias: "p", default: "0", description: "Port (0: the system picks one; read it from the ready line)" },
    "exit-with-parent": { type: "boolean", default: true, description: "Exit when the process that started sona exits" },
    "parent-pid": {
      type: "string",
      description: "The owner's pid: exit when that process exits, even if sona was started through a shell that is gone (env SONA_PARENT_PID)",
    },
    "max-upload": { type: "string", default: "1GiB", description: "Largest accepted upload (e.g. 500MiB, 2GiB)" },
    ...maxAudioDurationArg,
    "upload-idle-timeout": {
      type: "string",
      default: "30s",
      description: "End an upload that sends nothing, or a stream the client stops reading, for this long (frees the server; 0 = never)",
    },
    "unload-timeout": { type: "string", description: "Unload the model after this long without requests (30s, 5m, 1h; 0 = never; env SONA_UNLOAD_TIMEOUT)" },
    "api-key": { type: "string", description: "Require Authorization: Bearer <key> on every route but /health (env SONA_API_KEY)" },
    "allowed-host": {
      type: "string",
      description: "Also answer to this Host name (a reverse proxy's; comma-separated or repeated; .example.com = any subdomain; env SONA_ALLOWED_HOSTS)",
    },
    parallel: {
      type: "string",
      description: "Transcriptions at once, each on its own slot over one copy of the weights; threads are shared out among them (env SONA_PARALLEL; default 1)",
    },
    queue: { type: "string", description: "Let this many transcriptions wait for a slot, in order, instead of answering 429 (env SONA_QUEUE; default 0)" },
    "queue-timeout": { type: "string", default: "5m", description: "The longest a queued transcription waits before its 429" },
    "tmp-dir": { type: "string", description: "Directory for uploads while they are transcribed (default: the system temp dir)" },
    "tls-cert": { type: "string", description: "PEM certificate: serve https:// and wss:// (with --tls-key)" },
    "tls-key": { type: "string", description: "PEM private key of --tls-cert" },
    ...gpuArgs,
    ...verboseArg,
  },
  async run({ args }) {
    const settings = readSettings(args);
    const log = (line: string) => process.stderr.write(`sona: ${line}\n`);
    const engine = new WhisperEngine({ verbose: Boolean(args.verbose), parallel: settings.parallel });
    const apiKey = (args["api-key"] as string | undefined) || setting("SONA_API_KEY");
    const ctx = new ServerContext({
      engine,
      maxUploadBytes: settings.maxUpload,
      tmpDir: settings.tmpDir,
      verbose: Boolean(args.verbose),
      log,
      apiKey,
      host: settings.host,
      allowedHosts: settings.allowedHosts,
      idleTimeoutMs: settings.uploadIdleTimeoutMs,
      parallel: settings.parallel,
      queue: settings.queue,
      queueTimeoutMs: settings.queueTimeoutMs,
      maxAudioDurationSec: settings.maxAudioDurationSec,
    });
    if (!isLoopback(settings.host)) {
      log(`warning: listening on ${settings.host}, which is reachable from other machines${apiKey ? "" : " and has no --api-key"}`);
    }
    // signals are caught from the start: an owner may stop us while the model loads, or the
    // moment it has read the ready line
    const watch = watchForShutdown({ exitWithParent: settings.exitWithParent, parentPid: settings.parentPid });
    try {
      if (args.model) await loadModel(ctx, String(args.model), settings.device);
      if (watch.fired) return;
      const app = createApp({ context: ctx });
      const server = listen(app, settings.host, settings.port, settings.tls);
      process.stdout.write(readyLine({ commit: getCommit(), port: server.port!, version: VERSION }));
      log(`listening on ${settings.tls ? "https" : "http"}://${settings.host}:${server.port}`);
      const stopIdle = startIdleUnload(ctx, settings.unloadTimeoutMs);
      const reason = await watch.reason;
      log(reason === "parent-exited" ? "the owner process exited; shutting down" : `${reason}: shutting down`);
      stopIdle();
      await shutdown(ctx, server, { graceMs: reason === "parent-exited" ? 0 : undefined, hurry: watch.hurry });
    } finally {
      watch.stop();
      await engine.close().catch(() => {});
    }
  },
});

function isLoopback(host: string): boolean {
  return /^(localhost|127(\.\d{1,3}){3}|::1|\[::1\])$/i.test(host);
}

interface Settings {
  host: string;
  port: number;
  exitWithParent: boolean;
  parentPid?: number;
  maxUpload: number;
  unloadTimeoutMs: number;
  uploadIdleTimeoutMs: number;
  maxAudioDurationSec?: number;
  tmpDir: string;
  allowedHosts: string[];
  tls?: { cert: string; key: string };
  parallel: number;
  queue: number;
  queueTimeoutMs: number;
  /** --no-gpu / --gpu-device, for the model named on the command line */
  device: DeviceRequest;
}

function readSettings(args: Record<string, unknown>): Settings {
  const port = Number(args.port);
  if (!/^\d+$/.test(String(args.port)) || port > 65535) throw new UsageError(`invalid --port '${args.port}': expected 0..65535`);
  const maxUpload = parseSize(String(args["max-upload"]));
  if (maxUpload === null || maxUpload < 1) throw new UsageError(`invalid --max-upload '${args["max-upload"]}': expected a size such as 500MiB or 2GiB`);
  const timeoutText = (args["unload-timeout"] as string | undefined) ?? setting("SONA_UNLOAD_TIMEOUT") ?? "0";
  const unloadTimeoutMs = parseDuration(timeoutText);
  if (unloadTimeoutMs === null) {
    const source = args["unload-timeout"] === undefined ? "SONA_UNLOAD_TIMEOUT" : "--unload-timeout";
    throw new UsageError(`invalid ${source} '${timeoutText}': expected a duration such as 30s, 5m or 1h, or 0 to never unload`);
  }
  const uploadIdleTimeoutMs = parseDuration(String(args["upload-idle-timeout"]));
  if (uploadIdleTimeoutMs === null) {
    throw new UsageError(`invalid --upload-idle-timeout '${args["upload-idle-timeout"]}': expected a duration such as 30s or 2m, or 0 for never`);
  }
  const pidText = (args["parent-pid"] as string | undefined) ?? setting("SONA_PARENT_PID");
  const parentPid = pidText === undefined ? undefined : Number(pidText);
  if (pidText !== undefined && !(/^\d+$/.test(pidText) && parentPid! > 0)) {
    const source = args["parent-pid"] === undefined ? "SONA_PARENT_PID" : "--parent-pid";
    throw new UsageError(`invalid ${source} '${pidText}': expected a process id`);
  }
  const tmpDir = (args["tmp-dir"] as string | undefined) || tmpdir();
  if (!isDirectory(tmpDir)) throw new UsageError(`invalid --tmp-dir '${tmpDir}': not a directory`);
  const device = deviceFlags(args);
  if (typeof device === "string") throw new UsageError(device);
  const allowedHosts = parseAllowedHosts([...([] as unknown[]).concat(args["allowed-host"] ?? []).map(String), setting("SONA_ALLOWED_HOSTS")]);
  const parallel = count(args, "parallel", "SONA_PARALLEL", 1, 64);
  const queue = count(args, "queue", "SONA_QUEUE", 0, 10_000);
  const queueTimeoutMs = parseDuration(String(args["queue-timeout"]));
  if (!queueTimeoutMs) throw new UsageError(`invalid --queue-timeout '${args["queue-timeout"]}': expected a duration such as 30s or 10m`);
  const maxAudioDurationSec = readMaxAudioDuration(args);
  return {
    host: String(args.host), port, exitWithParent: args["exit-with-parent"] !== false, parentPid, maxUpload, unloadTimeoutMs, uploadIdleTimeoutMs,
    maxAudioDurationSec, tmpDir, allowedHosts, tls: readTls(args), parallel, queue, queueTimeoutMs, device,
  };
}

/** An integer flag (or its environment variable) within [min, max]. */
function count(args: Record<string, unknown>, flag: string, env: "SONA_PARALLEL" | "SONA_QUEUE", min: number, max: number): number {
  const text = (args[flag] as string | undefined) ?? setting(env);
  if (text === undefined) return min;
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < min || n > max) {
    throw new UsageError(`invalid ${args[flag] === undefined ? env : `--${flag}`} '${text}': expected a whole number from ${min} to ${max}`);
  }
  return n;
}

/** Both files or neither; read now, so a wrong path is a usage error before anything loads. */
function readTls(args: Record<string, unknown>): Settings["tls"] {
  const cert = args["tls-cert"] as string | undefined;
  const key = args["tls-key"] as string | undefined;
  if (!cert && !key) return undefined;
  if (!cert || !key) throw new UsageError("--tls-cert and --tls-key go together");
  const read = (path: string, flag: string) => {
    try {
      return readFileSync(path, "utf8");
    } catch {
      throw new UsageError(`invalid ${flag} '${path}': cannot read the file`);
    }
  };
  return { cert: read(cert, "--tls-cert"), key: read(key, "--tls-key") };
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
