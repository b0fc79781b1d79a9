// What every route shares: the engine, the gate in front of it, the limits, the log, and the
// shutdown signal that aborts a transcription which outlives the grace period.
import { statSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename } from "node:path";
import type { Engine, LoadOptions } from "../engine/index.ts";
import type { SlotsInfo } from "../format/wire.ts";
import { BusyGate } from "./busy.ts";
import { estimateWaitMs, type RunningJob } from "./eta.ts";
import { type HostPolicy, hostPolicy } from "./hosts.ts";

export const DEFAULT_MAX_UPLOAD_BYTES = 1024 ** 3;
/** an upload that sends nothing, or a stream nobody reads, for this long is ended (it holds the gate) */
export const DEFAULT_IDLE_TIMEOUT_MS = 30_000;

export interface ServerOptions {
  engine: Engine;
  /** largest accepted `file` part (bytes); default 1 GiB */
  maxUploadBytes?: number;
  /** where uploads are spooled; default os.tmpdir() */
  tmpDir?: string;
  /** one line to stderr; default console.error */
  log?: (line: string) => void;
  /** log every request */
  verbose?: boolean;
  /** when set, every route but /health needs `Authorization: Bearer <apiKey>` */
  apiKey?: string;
  /** end an upload that sends nothing, or a streamed response nobody reads, for this long (0: never); default 30 s */
  idleTimeoutMs?: number;
  /** the address the server is bound to: its names pass the Host and Origin checks */
  host?: string;
  /** more host names to answer to (--allowed-host, SONA_ALLOWED_HOSTS; see hosts.ts) */
  allowedHosts?: readonly string[];
  /** transcriptions at once (--parallel); the engine must have as many slots; default 1 */
  parallel?: number;
  /** transcriptions that may wait for a slot instead of 429 (--queue); default 0 */
  queue?: number;
  /** the longest a queued transcription waits before its 429 (--queue-timeout) */
  queueTimeoutMs?: number;
  /** longest uploaded audio to decode, in seconds (--max-audio-duration); default 12 h */
  maxAudioDurationSec?: number;
}

/** The model as it was loaded, to make a repeated load of the same file and options a no-op. */
export interface LoadedModel {
  path: string;
  gpuDevice?: number;
  noGpu: boolean;
  /** device, inode, size and mtime at load: a file replaced or changed since is loaded again */
  file?: string;
  /** unix seconds, OpenAI's `created` */
  loadedAt: number;
}

export class ServerContext {
  readonly engine: Engine;
  readonly gate: BusyGate;
  readonly maxUploadBytes: number;
  readonly tmpDir: string;
  readonly idleTimeoutMs: number;
  readonly verbose: boolean;
  readonly apiKey?: string;
  readonly log: (line: string) => void;
  /** the Host and Origin allow-list */
  readonly hosts: HostPolicy;
  /** undefined: the audio module's default (12 h) */
  readonly maxAudioDurationSec?: number;
  /** aborted when shutdown stops waiting for a running transcription */
  readonly shutdown = new AbortController();
  /** the transcriptions holding slots, for a busy answer's Retry-After */
  readonly jobs = new Set<RunningJob>();
  /** aborted when shutdown begins: live sessions, which never end on their own, end here */
  readonly stopping = new AbortController();
  private loaded: LoadedModel | null = null;
  /**
   * The model the idle timer unloaded (Ollama's keep-alive): the next transcription loads it again
   * instead of answering 503. An explicit load or unload forgets it.
   */
  idleUnloaded: LoadedModel | null = null;

  constructor(options: ServerOptions) {
    this.engine = options.engine;
    this.gate = new BusyGate({ slots: options.parallel, queue: options.queue, queueTimeoutMs: options.queueTimeoutMs });
    this.maxUploadBytes = options.maxUploadBytes ?? DEFAULT_MAX_UPLOAD_BYTES;
    this.tmpDir = options.tmpDir ?? tmpdir();
    this.idleTimeoutMs = options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS;
    this.verbose = options.verbose ?? false;
    this.apiKey = options.apiKey || undefined;
    this.log = options.log ?? ((line) => console.error(line));
    this.hosts = hostPolicy({ bound: options.host, allowed: options.allowedHosts });
    this.maxAudioDurationSec = options.maxAudioDurationSec;
  }

  /** what /health, /ready and /v1/models say of the slots */
  get slots(): SlotsInfo {
    return { busy: this.gate.running, total: this.gate.slots, queued: this.gate.queued };
  }

  /** when a slot is likely free: the soonest done of the running jobs */
  waitMs(): number {
    const estimates = [...this.jobs].map((j) => estimateWaitMs(j));
    return estimates.length ? Math.min(...estimates) : estimateWaitMs(null);
  }

  /** The loaded model, or null (also when the engine dropped it on its own). */
  get model(): LoadedModel | null {
    const current = this.engine.model;
    if (!current) return null;
    if (this.loaded?.path !== current.path) {
      // loaded behind our back (tests, or the CLI before the app existed): no options known
      this.loaded = { path: current.path, noGpu: false, loadedAt: Math.floor(Date.now() / 1000) };
    }
    return this.loaded;
  }

  /** where the loaded model runs, for /ready, /v1/models and the load response ({} with no model) */
  get device(): { device?: string; fallback_reason?: string } {
    const m = this.engine.model;
    if (!m?.device) return {};
    return m.fallbackReason ? { device: m.device, fallback_reason: m.fallbackReason } : { device: m.device };
  }

  /** the name clients see: the file's base name, as the original reported it */
  get modelName(): string | null {
    const model = this.model;
    return model ? basename(model.path) : null;
  }

  /** the same file with the same options is loaded, and where they asked for it (a load that fell
   *  back to the CPU is tried on the GPU again: the memory it lacked may be free now) */
  isLoaded(path: string, options: LoadOptions): boolean {
    const m = this.model;
    return m !== null && !this.engine.model?.fallbackReason && m.path === path && m.gpuDevice === options.gpuDevice && m.noGpu === (options.noGpu ?? false) && m.file === fileIdentity(path);
  }

  recordLoad(path: string, options: LoadOptions): void {
    this.idleUnloaded = null;
    this.loaded = { path, gpuDevice: options.gpuDevice, noGpu: options.noGpu ?? false, file: fileIdentity(path), loadedAt: Math.floor(Date.now() / 1000) };
  }
}

function fileIdentity(path: string): string | undefined {
  const st = statSync(path, { throwIfNoEntry: false, bigint: true });
  return st && `${st.dev}:${st.ino}:${st.size}:${st.mtimeNs}`;
}
