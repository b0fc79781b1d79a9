// A fake Engine for fast route tests: deterministic events and results, a configurable delay per
// step (so a test can hold the gate, disconnect mid-run or time /health), abort honoured within a
// millisecond like the real worker, and a record of what it was asked.
import { basename } from "node:path";
import type { DecodeOptions, Engine, LoadOptions, ModelDetails, SpeechDetection, SpeechStream, TranscribeHooks, TranscriptResult, VadRun } from "../src/engine/index.ts";
import type { Segment, Token } from "../src/engine/types.ts";
import { SonaError } from "../src/errors.ts";

export interface FakeEngineOptions {
  /** ms before each event (4 events per run); 0 runs without waiting */
  stepMs?: number;
  /** make the next transcriptions fail with this error */
  failWith?: SonaError;
}

export interface FakeCall {
  samples: number;
  options: DecodeOptions;
}

let tokenId = 1000;
const token = (text: string, t0: number, t1: number): Token => ({ id: tokenId++, text, p: 0.9, plog: Math.log(0.9), t0, t1, special: false });

/** Two segments, " Fake one." (0-1.5 s) and " Fake two." (1.5-3 s), with word timings. */
export function fakeSegments(): Segment[] {
  return [
    { id: 0, t0: 0, t1: 150, text: " Fake one.", tokens: [token(" Fake", 0, 70), token(" one", 70, 140), token(".", 140, 150)], noSpeechProb: 0.01, temperature: 0 },
    { id: 1, t0: 150, t1: 300, text: " Fake two.", tokens: [token(" Fake", 150, 220), token(" two", 220, 290), token(".", 290, 300)], noSpeechProb: 0.02, temperature: 0 },
  ];
}

export class FakeEngine implements Engine {
  model: ModelDetails | null = null;
  readonly calls: FakeCall[] = [];
  loads: string[] = [];
  /** set while a transcription runs */
  running = false;
  aborted = 0;

  constructor(public options: FakeEngineOptions = {}) {}

  async load(path: string, _options?: LoadOptions): Promise<ModelDetails> {
    this.loads.push(path);
    if (basename(path).includes("broken")) throw new SonaError("invalid_model", `whisper.cpp could not load ${path}`, { param: "path" });
    this.model = { path, multilingual: !basename(path).includes(".en"), loadMs: 1 };
    return this.model;
  }

  async unload(): Promise<void> {
    this.model = null;
  }

  async transcribe(samples: Float32Array, options: DecodeOptions, hooks: TranscribeHooks = {}): Promise<TranscriptResult> {
    const { signal, onEvent } = hooks;
    if (signal?.aborted) throw new SonaError("aborted", "transcription aborted");
    if (!this.model) throw new SonaError("no_model", "no model loaded");
    this.calls.push({ samples: samples.length, options });
    this.running = true;
    const started = performance.now();
    try {
      const segments = fakeSegments();
      const steps = [
        () => onEvent?.({ type: "progress", progress: 0 }),
        () => onEvent?.({ type: "segment", segment: segments[0]! }),
        () => onEvent?.({ type: "progress", progress: 50 }),
        () => onEvent?.({ type: "segment", segment: segments[1]! }),
      ];
      for (const step of steps) {
        await this.wait(signal);
        step();
      }
      await this.wait(signal);
      if (this.options.failWith) throw this.options.failWith;
      return {
        task: options.translate ? "translate" : "transcribe",
        language: options.language ?? "en",
        languageProbability: options.language ? undefined : 0.97,
        duration: samples.length / 16000,
        segments,
        temperature: options.temperature,
        timings: { inferenceMs: performance.now() - started },
      };
    } finally {
      this.running = false;
    }
  }

  /** Not Silero: 100 ms blocks whose peak passes the threshold, joined; enough for route tests. */
  async detectSpeech(samples: Float32Array, vad: VadRun): Promise<SpeechDetection> {
    const block = 1600;
    const spans: { start: number; end: number }[] = [];
    for (let i = 0; i < samples.length; i += block) {
      let peak = 0;
      for (let k = i; k < Math.min(i + block, samples.length); k++) peak = Math.max(peak, Math.abs(samples[k]!));
      if (peak <= vad.params.threshold / 10) continue;
      const [start, end] = [i / 16000, Math.min(i + block, samples.length) / 16000];
      const last = spans.at(-1);
      if (last && last.end === start) last.end = end;
      else spans.push({ start, end });
    }
    return { spans, vadMs: 0 };
  }

  /** Not Silero either: 0.9 for a 512-sample window whose peak passes 0.05, else 0.05. */
  openSpeechStream(_modelPath: string): SpeechStream {
    return { probabilities: async (samples) => this.probabilities(samples), close: () => {} };
  }

  private probabilities(samples: Float32Array): Float32Array {
    const out = new Float32Array(Math.ceil(samples.length / 512));
    for (let w = 0; w < out.length; w++) {
      let peak = 0;
      for (let k = w * 512; k < Math.min((w + 1) * 512, samples.length); k++) peak = Math.max(peak, Math.abs(samples[k]!));
      out[w] = peak > 0.05 ? 0.9 : 0.05;
    }
    return out;
  }

  async close(): Promise<void> {
    this.model = null;
  }

  private wait(signal?: AbortSignal): Promise<void> {
    const ms = this.options.stepMs ?? 0;
    return new Promise((resolve, reject) => {
      let timer: Timer | undefined;
      const fail = () => {
        clearTimeout(timer);
        this.aborted++;
        reject(new SonaError("aborted", "transcription aborted"));
      };
      if (signal?.aborted) return fail();
      timer = setTimeout(() => {
        signal?.removeEventListener("abort", fail);
        resolve();
      }, ms);
      signal?.addEventListener("abort", fail, { once: true });
    });
  }
}
