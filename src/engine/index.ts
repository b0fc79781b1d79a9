// The engine as the rest of Sona sees it: load a model, transcribe 16 kHz mono samples with
// events and cancellation, unload. WhisperEngine runs whisper.cpp in Workers: `parallel` slots,
// each decoding on a whisper_state of its own over one context (the weights are in memory once),
// and one more worker, started when first needed, for speech detection without a model. Tests can
// pass any other Engine (see test/fake-engine.ts) to the server.
import { statSync } from "node:fs";
import { SonaError } from "../errors.ts";
import { validateModelFile } from "../models/validate.ts";
import { loadWithFallback } from "../gpu/load.ts";
import { DEFAULT_FLASH_ATTN, slotThreads } from "./defaults.ts";
import type { SpeechSpan } from "../vad/params.ts";
import { chooseLibrary, type LibraryChoice } from "./library.ts";
import { replyError, WorkerLane } from "./lane.ts";
import type { DecodeOptions, ModelDetails, Reply, VadRun } from "./protocol.ts";
import type { EngineEvent, TranscriptResult } from "./types.ts";

export { DEFAULT_FLASH_ATTN, defaultThreads, slotThreads } from "./defaults.ts";
export type { DecodeOptions, ModelDetails, VadRun } from "./protocol.ts";
export type * from "./types.ts";

export interface LoadOptions {
  gpuDevice?: number;
  noGpu?: boolean;
}

export interface TranscribeHooks {
  signal?: AbortSignal;
  onEvent?: (event: EngineEvent) => void;
}

export interface Engine {
  readonly model: ModelDetails | null;
  load(path: string, options?: LoadOptions): Promise<ModelDetails>;
  unload(): Promise<void>;
  transcribe(samples: Float32Array, options: DecodeOptions, hooks?: TranscribeHooks): Promise<TranscriptResult>;
  /** speech spans of 16 kHz mono samples; needs no whisper model */
  detectSpeech(samples: Float32Array, vad: VadRun): Promise<SpeechDetection>;
  /** Streaming speech detection for a live session, with a detector state of its own. */
  openSpeechStream(modelPath: string): SpeechStream;
  close(): Promise<void>;
}

export interface SpeechDetection {
  spans: SpeechSpan[];
  vadMs: number;
}

export interface SpeechStream {
  /** one probability per 512-sample window of the stream's next stretch, the state carried on */
  probabilities(samples: Float32Array): Promise<Float32Array>;
  close(): void;
}

export interface EngineInfo {
  library: LibraryChoice;
  whisperVersion: string;
  systemInfo: string;
}

export interface EngineOptions {
  verbose?: boolean;
  flashAttn?: boolean;
  /** transcriptions that can run at once (slots over one copy of the weights); default 1 */
  parallel?: number;
}

let nextStream = 1;

export class WhisperEngine implements Engine {
  model: ModelDetails | null = null;
  readonly parallel: number;
  private readonly slots: WorkerLane[];
  /** speech detection that needs no model: the VAD route, live sessions' streams */
  private readonly detection: WorkerLane;
  /** the loaded weights every slot's state decodes on */
  private ctx: number | null = null;
  /** the Vulkan library `ctx` was made with (src/gpu), or none: the CPU library's */
  private ctxLib?: string;
  /** contexts a killed worker may still be reading: never freed (a leak, not a crash) */
  private readonly abandoned = new Set<number>();
  /** what the first worker reported when it opened the library */
  private info?: EngineInfo;

  constructor(private readonly options: EngineOptions = {}) {
    this.parallel = Math.max(1, Math.floor(options.parallel ?? 1));
    this.slots = Array.from({ length: this.parallel }, () => new WorkerLane((lane) => this.prepare(lane, true)));
    this.detection = new WorkerLane((lane) => this.prepare(lane, false));
  }

  /** Starts a worker, which opens the library; says which build was chosen and why. */
  start(): Promise<EngineInfo> {
    // a failed start is not kept: the next request tries a new worker (lane.ts)
    return this.slots[0]!.enqueue(async () => this.info!);
  }

  async load(path: string, options: LoadOptions = {}): Promise<ModelDetails> {
    // checked here, so that no caller can hand whisper.cpp a file that would crash the process
    // (a bad file is invalid_model 400); one that passes and still fails to load is our side's
    // fault (out of memory, the device), not the file's: internal_error
    await validateModelFile(path);
    const first = this.slots[0]!;
    const old = this.ctx;
    const oldLib = this.ctxLib;
    // src/gpu chooses the device and loads again on the CPU when the GPU's load or attach fails
    const { loaded, placement } = await loadWithFallback({ ...options, modelBytes: statSync(path).size }, async (gpu) => {
      const reply = await first.enqueue(() =>
        first.post({ type: "load", path, flashAttn: this.options.flashAttn ?? DEFAULT_FLASH_ATTN, useGpu: gpu !== undefined, gpuDevice: gpu?.index ?? 0, gpuLib: gpu?.libPath }),
      );
      if (reply.type !== "loaded") throw new SonaError("internal_error", `${failure(reply)} (the file passed validation: out of memory?)`);
      // every slot moves to the new weights after the job it runs (the server's gate lets none run)
      const attached = await Promise.all(this.slots.map((lane) => lane.enqueue(() => lane.post({ type: "attach", ctx: reply.ctx, gpuLib: gpu?.libPath }))));
      const failed = attached.find((r) => r.type !== "ok");
      if (failed) {
        await this.moveSlots(old, oldLib);
        await this.free(reply.ctx, gpu?.libPath);
        throw new SonaError("internal_error", `${failure(failed)} while loading ${path}`);
      }
      return { ctx: reply.ctx, model: reply.model, gpuLib: gpu?.libPath };
    });
    this.ctx = loaded.ctx;
    this.ctxLib = loaded.gpuLib;
    if (old !== null) await this.free(old, oldLib);
    this.model = { ...loaded.model, device: placement.device, fallbackReason: placement.fallbackReason };
    return this.model;
  }

  async unload(): Promise<void> {
    const old = this.ctx;
    const oldLib = this.ctxLib;
    if (old === null) return;
    this.model = null;
    this.ctx = null;
    this.ctxLib = undefined;
    await this.moveSlots(null);
    await this.free(old, oldLib);
  }

  async transcribe(samples: Float32Array, options: DecodeOptions, hooks: TranscribeHooks = {}): Promise<TranscriptResult> {
    const { signal, onEvent } = hooks;
    if (signal?.aborted) throw abortedError();
    if (!this.model) throw new SonaError("no_model", "no model loaded");
    const decode = { ...options, threads: slotThreads(this.parallel, options.threads) };
    const lane = this.slots.reduce((a, b) => (b.active < a.active ? b : a));
    return lane.enqueue(async () => {
      // a job whose caller went away while it waited never runs
      if (signal?.aborted) throw abortedError();
      if (this.ctx === null) throw new SonaError("no_model", "no model loaded");
      const flag = lane.abortFlag;
      Atomics.store(flag, 0, 0);
      const abort = () => Atomics.store(flag, 0, 1);
      signal?.addEventListener("abort", abort, { once: true });
      const ctx = this.ctx;
      const restarts = lane.restarts;
      try {
        // the samples' buffer moves to the worker: no copy of what may be an hour of audio
        const reply = await lane.post({ type: "run", samples, options: decode, abort: flag }, [samples.buffer as ArrayBuffer], onEvent);
        if (lane.restarts !== restarts) this.abandoned.add(ctx);
        if (reply.type === "done") return reply.result;
        throw replyError(reply, "vad_model");
      } finally {
        signal?.removeEventListener("abort", abort);
      }
    });
  }

  async detectSpeech(samples: Float32Array, vad: VadRun): Promise<SpeechDetection> {
    const lane = this.detection;
    const reply = await lane.enqueue(() => lane.post({ type: "vad", samples, vad }, [samples.buffer as ArrayBuffer]));
    if (reply.type === "spans") return { spans: reply.spans, vadMs: reply.vadMs };
    throw replyError(reply, "vad_model");
  }

  openSpeechStream(modelPath: string): SpeechStream {
    const lane = this.detection;
    const stream = nextStream++;
    let reset = true;
    return {
      probabilities: async (samples) => {
        const reply = await lane.enqueue(() => lane.post({ type: "vad-stream", stream, samples, modelPath, reset }, [samples.buffer as ArrayBuffer]));
        reset = false;
        if (reply.type === "probs") return reply.probs;
        throw replyError(reply, "vad_model");
      },
      close: () => void lane.enqueue(() => lane.post({ type: "vad-stream-end", stream })).catch(() => {}),
    };
  }

  async close(): Promise<void> {
    for (const lane of this.slots) Atomics.store(lane.abortFlag, 0, 1);
    await this.unload().catch(() => {});
    await Promise.all([...this.slots, this.detection].map((lane) => lane.close()));
  }

  /** test hook: the worker of slot `i` (or of speech detection) dies as it would on a bug */
  crashWorker(i: number | "detection", how: "crash" | "kill" = "crash"): void {
    const lane = i === "detection" ? this.detection : this.slots[i]!;
    if (how === "kill") lane.kill();
    else lane.crash();
  }

  /** A new worker: the library opened, and a slot's state attached to the loaded weights. */
  private async prepare(lane: WorkerLane, slot: boolean): Promise<void> {
    const library = chooseLibrary();
    const ready = await lane.post({ type: "init", libPath: library.path, logLevel: this.options.verbose ? 2 : 5 });
    if (ready.type !== "ready") throw new SonaError("internal_error", failure(ready));
    this.info ??= { library, whisperVersion: ready.whisperVersion, systemInfo: ready.systemInfo };
    if (slot && this.ctx !== null) {
      const attached = await lane.post({ type: "attach", ctx: this.ctx, gpuLib: this.ctxLib });
      if (attached.type !== "ok") throw new SonaError("internal_error", failure(attached));
    }
  }

  /** Every slot onto `ctx` (or onto none), each after the job it runs. */
  private async moveSlots(ctx: number | null, gpuLib?: string): Promise<void> {
    await Promise.all(this.slots.map((lane) => lane.enqueue(() => lane.post(ctx === null ? { type: "detach" } : { type: "attach", ctx, gpuLib }))));
  }

  /** Frees `ctx` with the library that made it (`gpuLib`, or the CPU one). */
  private async free(ctx: number, gpuLib?: string): Promise<void> {
    if (this.abandoned.has(ctx)) return;
    const lane = this.slots[0]!;
    await lane.enqueue(() => lane.post({ type: "free", ctx, gpuLib }));
  }
}

const abortedError = () => new SonaError("aborted", "transcription aborted");

function failure(m: Reply): string {
  return m.type === "failed" ? m.message : `unexpected engine reply ${m.type}`;
}
