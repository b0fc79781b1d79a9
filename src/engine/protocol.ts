// Messages between the engine (main thread) and its worker. One job at a time; the worker
// answers every request with exactly one final message (loaded/unloaded/done/failed).
import type { TranscribeOptions } from "../options.ts";
import type { EngineEvent, TranscriptResult } from "./types.ts";

export interface ModelDetails {
  path: string;
  multilingual: boolean;
  loadMs: number;
}

export type ToWorker =
  | { type: "init"; libPath: string; logLevel: number }
  | { type: "load"; path: string; flashAttn: boolean; useGpu: boolean; gpuDevice: number }
  | { type: "unload" }
  | { type: "run"; samples: Float32Array; options: DecodeOptions; abort: Int32Array };

/** The part of TranscribeOptions that whisper.cpp sees. */
export type DecodeOptions = Pick<
  TranscribeOptions,
  | "language" | "detectLanguage" | "translate" | "prompt" | "temperature" | "noFallback" | "threads"
  | "strategy" | "beamSize" | "bestOf" | "maxTextCtx" | "wordTimestamps" | "maxSegmentLen"
>;

export type FromWorker =
  | { type: "ready"; whisperVersion: string; systemInfo: string }
  | { type: "loaded"; model: ModelDetails }
  | { type: "unloaded" }
  | { type: "event"; event: EngineEvent }
  | { type: "done"; result: TranscriptResult }
  | { type: "failed"; code: "invalid_model" | "invalid_request" | "aborted" | "internal_error"; message: string };
