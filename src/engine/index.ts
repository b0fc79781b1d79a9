// The engine as the rest of Sona sees it: load a model, transcribe 16 kHz mono samples with
// events and cancellation, unload. WhisperEngine runs whisper.cpp in a Worker; tests can pass any
// other Engine (see test/fake-engine.ts) to the server.
import { SonaError } from "../errors.ts";
import { validateModelFile } from "../models/validate.ts";
import { loadWithFallback } from "../gpu/load.ts";
import { DEFAULT_FLASH_ATTN } from "./defaults.ts";
import type { SpeechSpan } from "../vad/params.ts";
import { chooseLibrary, type LibraryChoice } from "./library.ts";
import type { DecodeOptions, FromWorker, ModelDetails, ToWorker, VadRun } from "./protocol.ts";
import type { EngineEvent, TranscriptResult } from "./types.ts";

export { DEFAULT_FLASH_ATTN, defaultThreads } from "./defaults.ts";
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
  /**
   * Streaming speech detection for live sessions: one probability per 512-sample window of the
   * next stretch of a stream, the detector's state carried from the call before unless `reset`.
   */
  speechProbabilities(samples: Float32Array, stream: SpeechStream): Promise<Float32Array>;
  close(): Promise<void>;
}

export interface SpeechDetection {
  spans: SpeechSpan[];
  vadMs: number;
}

export interface SpeechStream {
  /** a validated Silero file */
  modelPath: string;
  /** true on a stream's first call */
  reset: boolean;
}

export interface EngineInfo {
  library: LibraryChoice;
  whisperVersion: string;
  systemInfo: string;
}

export class WhisperEngine implements Engine {
  model: ModelDetails | null = null;
  private worker?: Worker;
  private info?: Promise<EngineInfo>;
  private pending?: { resolve: (m: FromWorker) => void; onEvent?: (e: EngineEvent) => void };
  private queue: Promise<unknown> = Promise.resolve();
  private readonly abortFlag = new Int32Array(new SharedArrayBuffer(4));

  constructor(private readonly options: { verbose?: boolean; flashAttn?: boolean } = {}) {}

  /** Starts the worker and opens the library (once); says which build was chosen and why. */
  start(): Promise<EngineInfo> {
    this.info ??= (async () => {
      const library = chooseLibrary();
      // in the compiled binary import.meta.url is the executable's /$bunfs root, and the worker,
      // its second entry point, sits at engine/worker.ts under it (scripts/build.ts)
      const worker = Bun.isStandaloneExecutable ? "./engine/worker.ts" : "./worker.ts";
      this.worker = new Worker(new URL(worker, import.meta.url));
      this.worker.onmessage = (e: MessageEvent<FromWorker>) => this.receive(e.data);
      this.worker.onerror = (e) => this.receive({ type: "failed", code: "internal_error", message: `engine worker failed: ${e.message}` });
      const ready = await this.send({ type: "init", libPath: library.path, logLevel: this.options.verbose ? 2 : 5 });
      if (ready.type !== "ready") throw new SonaError("internal_error", failure(ready));
      return { library, whisperVersion: ready.whisperVersion, systemInfo: ready.systemInfo };
    })();
    return this.info;
  }

  async load(path: string, options: LoadOptions = {}): Promise<ModelDetails> {
    // checked here, so that no caller can hand whisper.cpp a file that would crash the process
    // (a bad file is invalid_model 400); one that passes and still fails to load is our side's
    // fault (out of memory, the device), not the file's: internal_error
    await validateModelFile(path);
    await this.start();
    // src/gpu chooses the device and falls back to the CPU when the GPU load fails
    const { loaded, placement } = await loadWithFallback(options, async (gpu) => {
      const reply = await this.send({
        type: "load",
        path,
        flashAttn: this.options.flashAttn ?? DEFAULT_FLASH_ATTN,
        useGpu: gpu !== undefined,
        gpuDevice: gpu?.index ?? 0,
        gpuLib: gpu?.libPath,
      });
      if (reply.type !== "loaded") throw new SonaError("internal_error", `${failure(reply)} (the file passed validation: out of memory?)`);
      return reply.model;
    });
    this.model = { ...loaded, device: placement.device, fallbackReason: placement.fallbackReason };
    return this.model;
  }

  async unload(): Promise<void> {
    if (!this.worker) return;
    await this.send({ type: "unload" });
    this.model = null;
  }

  async transcribe(samples: Float32Array, options: DecodeOptions, hooks: TranscribeHooks = {}): Promise<TranscriptResult> {
    const { signal, onEvent } = hooks;
    if (signal?.aborted) throw new SonaError("aborted", "transcription aborted");
    if (!this.model) throw new SonaError("no_model", "no model loaded");
    const abort = () => Atomics.store(this.abortFlag, 0, 1);
    return this.enqueue(async () => {
      Atomics.store(this.abortFlag, 0, 0);
      signal?.addEventListener("abort", abort, { once: true });
      try {
        // the samples' buffer moves to the worker: no copy of what may be an hour of audio
        const reply = await this.post({ type: "run", samples, options, abort: this.abortFlag }, [samples.buffer as ArrayBuffer], onEvent);
        if (reply.type === "done") return reply.result;
        throw replyError(reply);
      } finally {
        signal?.removeEventListener("abort", abort);
      }
    });
  }

  async detectSpeech(samples: Float32Array, vad: VadRun): Promise<SpeechDetection> {
    await this.start();
    const reply = await this.enqueue(() => this.post({ type: "vad", samples, vad }, [samples.buffer as ArrayBuffer]));
    if (reply.type === "spans") return { spans: reply.spans, vadMs: reply.vadMs };
    throw replyError(reply);
  }

  async speechProbabilities(samples: Float32Array, stream: SpeechStream): Promise<Float32Array> {
    await this.start();
    const message: ToWorker = { type: "vad-stream", samples, modelPath: stream.modelPath, reset: stream.reset };
    const reply = await this.enqueue(() => this.post(message, [samples.buffer as ArrayBuffer]));
    if (reply.type === "probs") return reply.probs;
    if (reply.type === "failed") throw new SonaError(reply.code, reply.message, reply.code === "invalid_model" ? { param: "vad_model" } : {});
    throw new SonaError("internal_error", `unexpected engine reply ${reply.type}`);
  }

  async close(): Promise<void> {
    if (!this.worker) return;
    Atomics.store(this.abortFlag, 0, 1);
    await this.queue.catch(() => {});
    await this.unload().catch(() => {});
    this.worker.terminate();
    this.worker = undefined;
    this.info = undefined;
  }

  private send(message: ToWorker): Promise<FromWorker> {
    return this.enqueue(() => this.post(message, []));
  }

  private enqueue<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => {});
    return run;
  }

  private post(message: ToWorker, transfer: Transferable[], onEvent?: (e: EngineEvent) => void): Promise<FromWorker> {
    return new Promise((resolve) => {
      this.pending = { resolve, onEvent };
      this.worker!.postMessage(message, transfer);
    });
  }

  private receive(m: FromWorker): void {
    if (m.type === "event") return this.pending?.onEvent?.(m.event);
    const pending = this.pending;
    this.pending = undefined;
    pending?.resolve(m);
  }
}

/** A run's failure; the only model a run loads is the VAD model, so a bad one is vad_model's fault. */
function replyError(m: FromWorker): SonaError {
  if (m.type !== "failed") return new SonaError("internal_error", `unexpected engine reply ${m.type}`);
  return new SonaError(m.code, m.message, m.code === "invalid_model" ? { param: "vad_model" } : {});
}

function failure(m: FromWorker): string {
  return m.type === "failed" ? m.message : `unexpected engine reply ${m.type}`;
}
