// The worker's side of speech detection: one Silero context (reopened when another model file is
// asked for) and whisper.cpp's span finder. Runs on the engine worker's thread, like whisper_full.
import { statSync } from "node:fs";
import type { SpeechSpan } from "../vad/params.ts";
import { asPointer, ptr, toArrayBuffer, type Pointer, type WhisperSymbols } from "./ffi.ts";
import { vadParamsBytes } from "./params.ts";
import type { VadRun } from "./protocol.ts";

export class WorkerFailure extends Error {
  constructor(readonly code: "invalid_model" | "invalid_request" | "internal_error", message: string) {
    super(message);
  }
}

interface OpenContext {
  path: string;
  id: string;
  ctx: Pointer;
}

/** Silero's window: one probability per 512 samples (32 ms at 16 kHz). */
export const VAD_WINDOW = 512;

export class SpeechDetector {
  private open?: OpenContext;
  // live sessions keep the LSTM state between calls, so they get a context of their own that a
  // file's detection (which resets the state) never touches
  private stream?: OpenContext;
  constructor(private readonly lib: WhisperSymbols) {}

  /**
   * Speech probabilities of the next stretch of a stream, one per 512-sample window; `reset`
   * starts a new stream (zeroed LSTM state). A partial last window is zero-padded by whisper.cpp,
   * so callers send whole windows.
   */
  probabilities(samples: Float32Array, path: string, reset: boolean): Float32Array {
    // one thread: a stream's calls are a few windows each, less work than waking a second thread
    this.stream = this.reopen(this.stream, path, 1);
    const ctx = this.stream.ctx;
    if (reset) this.lib.whisper_vad_reset_state(ctx);
    if (samples.length === 0) return new Float32Array(0);
    if (!this.lib.whisper_vad_detect_speech_no_reset(ctx, samples, samples.length)) {
      throw new WorkerFailure("internal_error", `speech detection failed: ${String(this.lib.sona_last_error() ?? "")}`);
    }
    const n = this.lib.whisper_vad_n_probs(ctx);
    const at = asPointer(this.lib.whisper_vad_probs(ctx));
    return n > 0 && at ? new Float32Array(toArrayBuffer(at, 0, n * 4).slice(0)) : new Float32Array(0);
  }

  /** Speech spans of 16 kHz samples, in seconds, within [0, duration]. */
  detect(samples: Float32Array, run: VadRun): SpeechSpan[] {
    if (samples.length === 0) return [];
    const ctx = this.context(run.modelPath);
    const params = vadParamsBytes(run.params);
    const found = asPointer(this.lib.sona_vad_segments(ctx, ptr(params), samples, samples.length));
    if (!found) throw new WorkerFailure("internal_error", `speech detection failed: ${String(this.lib.sona_last_error() ?? "")}`);
    const duration = samples.length / 16000;
    const spans: SpeechSpan[] = [];
    try {
      const n = this.lib.whisper_vad_segments_n_segments(found);
      for (let i = 0; i < n; i++) {
        // whisper.cpp reports centiseconds; padding may reach past either end of the input
        const start = Math.max(0, this.lib.whisper_vad_segments_get_segment_t0(found, i) / 100);
        const end = Math.min(duration, this.lib.whisper_vad_segments_get_segment_t1(found, i) / 100);
        if (end > start) spans.push({ start: round(start), end: round(end) });
      }
    } finally {
      this.lib.whisper_vad_free_segments(found);
    }
    return spans;
  }

  close(): void {
    if (this.open) this.lib.whisper_vad_free(this.open.ctx);
    if (this.stream) this.lib.whisper_vad_free(this.stream.ctx);
    this.open = undefined;
    this.stream = undefined;
  }

  private context(path: string): Pointer {
    // a file's pass computes 128 windows per graph, which a second thread speeds up by ~20 %; more
    // gain little on graphs this small
    this.open = this.reopen(this.open, path, Math.min(2, navigator.hardwareConcurrency));
    return this.open.ctx;
  }

  private reopen(current: OpenContext | undefined, path: string, threads: number): OpenContext {
    // a file replaced or rewritten at the same path is opened again, as a whisper model is
    const id = fileIdentity(path);
    if (current?.path === path && current.id === id) return current;
    if (current) this.lib.whisper_vad_free(current.ctx);
    this.lib.sona_clear_last_error();
    const ctx = asPointer(this.lib.sona_vad_init(Buffer.from(`${path}\0`), threads));
    if (!ctx) {
      const detail = String(this.lib.sona_last_error() ?? "");
      throw new WorkerFailure("invalid_model", `whisper.cpp could not load the VAD model ${path}${detail ? `: ${detail}` : ""}`);
    }
    return { path, id, ctx };
  }
}

function fileIdentity(path: string): string {
  try {
    const st = statSync(path, { bigint: true });
    return `${st.dev}:${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}`;
  } catch {
    return "missing"; // whisper.cpp's own open then fails with its message
  }
}

const round = (s: number) => Math.round(s * 1000) / 1000;
