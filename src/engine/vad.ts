// The worker's side of speech detection: one Silero context (reopened when another model file is
// asked for) and whisper.cpp's span finder. Runs on the engine worker's thread, like whisper_full.
import { statSync } from "node:fs";
import type { SpeechSpan } from "../vad/params.ts";
import { asPointer, ptr, type Pointer, type WhisperSymbols } from "./ffi.ts";
import { vadParamsBytes } from "./params.ts";
import type { VadRun } from "./protocol.ts";

export class WorkerFailure extends Error {
  constructor(readonly code: "invalid_model" | "invalid_request" | "internal_error", message: string) {
    super(message);
  }
}

export class SpeechDetector {
  private open?: { path: string; id: string; ctx: Pointer };
  constructor(private readonly lib: WhisperSymbols) {}

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
    this.open = undefined;
  }

  private context(path: string): Pointer {
    // a file replaced or rewritten at the same path is opened again, as a whisper model is
    const id = fileIdentity(path);
    if (this.open?.path === path && this.open.id === id) return this.open.ctx;
    this.close();
    this.lib.sona_clear_last_error();
    const ctx = asPointer(this.lib.sona_vad_init(Buffer.from(`${path}\0`)));
    if (!ctx) {
      const detail = String(this.lib.sona_last_error() ?? "");
      throw new WorkerFailure("invalid_model", `whisper.cpp could not load the VAD model ${path}${detail ? `: ${detail}` : ""}`);
    }
    this.open = { path, id, ctx };
    return ctx;
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
