// Messages between the engine (main thread) and its workers. One job at a time per worker; the
// worker answers every request with exactly one final message carrying the request's id
// (loaded/attached/done/failed...), and tags its events with it, so that a reply that comes late
// (after its request was failed by a worker restart) can never reach the next caller.
import type { SpeechSpan, VadMode, VadParams } from "../vad/params.ts";
import type { EngineEvent, TranscriptResult } from "./types.ts";

export interface ModelDetails {
  path: string;
  multilingual: boolean;
  loadMs: number;
  /** `cpu`, or the GPU's description (src/gpu) */
  device?: string;
  /** why the model is on the CPU although a GPU was asked for, or one failed */
  fallbackReason?: string;
}

/** What the engine asks a worker (ToWorker adds the request's id). */
export type WorkerRequest =
  | { type: "init"; libPath: string; logLevel: number }
  /** load the weights (no decoding state): the reply carries the context for every slot to attach to */
  | { type: "load"; path: string; flashAttn: boolean; useGpu: boolean; gpuDevice: number; gpuLib?: string }
  /** decode on `ctx` from now on, with a whisper_state of this worker's own (any earlier one freed) */
  | { type: "attach"; ctx: number; gpuLib?: string }
  /** free this worker's state: the context is about to be freed or replaced */
  | { type: "detach" }
  /** free a context no worker is attached to any more */
  | { type: "free"; ctx: number; gpuLib?: string }
  | { type: "run"; samples: Float32Array; options: DecodeOptions; abort: Int32Array }
  | { type: "vad"; samples: Float32Array; vad: VadRun }
  /** streaming detection; `stream` names the stream's own Silero context in this worker */
  | { type: "vad-stream"; stream: number; samples: Float32Array; modelPath: string; reset: boolean }
  | { type: "vad-stream-end"; stream: number }
  /** test hook: the worker throws outside any handler, as a bug would, and dies */
  | { type: "crash" };
export type ToWorker = { id: number } & WorkerRequest;

/** A VAD model file (already validated) and its tunables. */
export interface VadRun {
  modelPath: string;
  params: VadParams;
}

/** What whisper.cpp sees of a transcription's options. */
export interface DecodeOptions {
  /** undefined: auto-detect on multilingual models, English on .en models */
  language?: string;
  detectLanguage: boolean;
  translate: boolean;
  prompt?: string;
  temperature: number;
  noFallback: boolean;
  threads?: number;
  strategy: "greedy" | "beam_search";
  beamSize?: number;
  bestOf?: number;
  maxTextCtx?: number;
  /** word timestamps computed (word_timestamps, a word granularity, or max_segment_len) */
  wordTimestamps: boolean;
  maxSegmentLen?: number;
  // hallucination controls; undefined: whisper.cpp's defaults
  noSpeechThold?: number;
  logprobThold?: number;
  entropyThold?: number;
  suppressNst?: boolean;
  suppressBlank?: boolean;
  carryInitialPrompt?: boolean;
  /** no conditioning on earlier text, within the request too */
  noContext?: boolean;
  /** one segment per 30 s window: audio shorter than a window (a live utterance) is decoded in one pass */
  singleSegment?: boolean;
  vad?: VadRun & { mode: VadMode };
}

/** A worker's answers and events (FromWorker adds the id of the request they belong to). */
export type Reply =
  | { type: "ready"; whisperVersion: string; systemInfo: string }
  | { type: "loaded"; ctx: number; model: ModelDetails }
  | { type: "ok" }
  | { type: "event"; event: EngineEvent }
  | { type: "done"; result: TranscriptResult }
  | { type: "spans"; spans: SpeechSpan[]; vadMs: number }
  | { type: "probs"; probs: Float32Array }
  | { type: "failed"; code: "invalid_model" | "invalid_request" | "aborted" | "gpu_out_of_memory" | "internal_error"; message: string };
export type FromWorker = { id: number } & Reply;
