// An engine worker: one slot. It opens the native library and decodes with a whisper_state of its
// own over the context (the weights) the engine shares among its slots, on its own thread, so the
// server's thread keeps answering while inference runs for seconds or hours. Segment and progress
// hooks are synchronous JSCallbacks (whisper.cpp calls them on this thread); their postMessage
// calls reach the main thread while whisper_full is still running. Abort is a shared int32 that
// the C shim polls between graph nodes. Every reply and event carries the id of its request.
declare const self: Worker;

import type { SpeechSpan } from "../vad/params.ts";
import { defaultThreads } from "./defaults.ts";
import { asPointer, JSCallback, LAYOUT, openLibrary, ParamsStruct, ptr, readCString, TokenReader, type Pointer, type WhisperSymbols } from "./ffi.ts";
import { buildParams, type CallOptions } from "./params.ts";
import type { DecodeOptions, Reply, ToWorker } from "./protocol.ts";
import type { Segment, Token } from "./types.ts";
import { SpeechDetector, WorkerFailure } from "./vad.ts";
import { checkGpu, tookOutOfMemory } from "../gpu/devices.ts";

/** the attached state's library: the CPU level's, or the Vulkan one (src/gpu) for weights on a GPU */
let lib: WhisperSymbols | undefined;
let cpuLib: WhisperSymbols | undefined;
let gpuLib: WhisperSymbols | undefined;
let gpuLibPath = "";
let logLevel = 5;
let tokens: TokenReader | undefined;
let detector: SpeechDetector | undefined;
/** the shared context this worker decodes on, and its own state over it */
let ctx: Pointer | null = null;
let state: Pointer | null = null;
/** the request being answered: its id tags every event */
let current = 0;

/** The running whisper_full call: where its segments go and how its times and progress map. */
interface Job {
  segments: Segment[];
  eot: number;
  /** added to every time: the span's start in centiseconds (0 without spans) */
  offsetCs: number;
  /** times are clamped here: the span's end (Infinity without spans) */
  endCs: number;
  /** this call's 0..100 -> the request's 0..100 */
  progress: (p: number) => number;
}
let job: Job | undefined;

const post = (m: Reply) => self.postMessage({ ...m, id: current });
const SAMPLE_RATE = 16000;

function readSegment(c: Pointer, st: Pointer, i: number, j: Job): Segment {
  const shift = (t: number) => Math.min(t + j.offsetCs, j.endCs);
  const list: Token[] = [];
  const n = lib!.whisper_full_n_tokens_from_state(st, i);
  for (let k = 0; k < n; k++) {
    const t = tokens!.read(st, i, k);
    list.push({ ...t, text: readCString(lib!.whisper_token_to_str(c, t.id)), t0: shift(t.t0), t1: shift(t.t1), special: t.id >= j.eot });
  }
  return {
    id: j.segments.length,
    t0: shift(Number(lib!.whisper_full_get_segment_t0_from_state(st, i))),
    t1: shift(Number(lib!.whisper_full_get_segment_t1_from_state(st, i))),
    text: readCString(lib!.whisper_full_get_segment_text_from_state(st, i)),
    tokens: list,
    noSpeechProb: lib!.whisper_full_get_segment_no_speech_prob_from_state(st, i),
    temperature: lib!.whisper_full_get_segment_temperature_from_state(st, i),
  };
}

// Made once per worker: the closures read the current job, so no callback is created per request.
const onSegment = new JSCallback(
  (c: Pointer, st: Pointer, nNew: number) => {
    if (!job) return;
    const total = lib!.whisper_full_n_segments_from_state(st);
    for (let i = total - nNew; i < total; i++) {
      const segment = readSegment(c, st, i, job);
      job.segments.push(segment);
      post({ type: "event", event: { type: "segment", segment } });
    }
  },
  { args: ["ptr", "ptr", "i32", "ptr"], returns: "void" },
);
const onProgress = new JSCallback(
  (_c: Pointer, _state: Pointer, progress: number) =>
    post({ type: "event", event: { type: "progress", progress: job ? job.progress(progress) : progress } }),
  { args: ["ptr", "ptr", "i32", "ptr"], returns: "void" },
);

/** The library weights on a GPU (`gpuLib`) or on the CPU live in; the Vulkan one opens once. */
function libFor(path: string | undefined): WhisperSymbols {
  if (!path) return cpuLib!;
  if (!gpuLib) {
    gpuLib = openLibrary(path);
    gpuLib.sona_log_set_level(logLevel);
    gpuLibPath = path;
  }
  return gpuLib;
}

/** The weights only: the engine then has every slot attach a state of its own to them. */
function load(m: Extract<ToWorker, { type: "load" }>): Reply {
  const t0 = performance.now();
  if (m.gpuLib) {
    if (gpuLib) tookOutOfMemory(m.gpuLib); // a flag left from an earlier model is not this load's
    const problem = checkGpu(m.gpuLib, m.gpuDevice);
    if (problem) return { type: "failed", code: "internal_error", message: problem };
  }
  const use = libFor(m.gpuLib);
  const cparams = asPointer(use.whisper_context_default_params_by_ref())!;
  const cp = new ParamsStruct(cparams, LAYOUT.whisper_context_params.sizeof);
  cp.bool(LAYOUT.whisper_context_params.use_gpu, m.useGpu);
  cp.bool(LAYOUT.whisper_context_params.flash_attn, m.flashAttn);
  cp.i32(LAYOUT.whisper_context_params.gpu_device, m.gpuDevice);
  use.sona_clear_last_error();
  const next = asPointer(use.sona_init_from_file(Buffer.from(`${m.path}\0`), cparams));
  use.whisper_free_context_params(cparams);
  if (!next) {
    const detail = String(use.sona_last_error() ?? "");
    return { type: "failed", code: "invalid_model", message: `whisper.cpp could not load ${m.path}${detail ? `: ${detail}` : ""}` };
  }
  const multilingual = use.whisper_is_multilingual(next) !== 0;
  return { type: "loaded", ctx: next, model: { path: m.path, multilingual, loadMs: performance.now() - t0 } };
}

function attach(to: Pointer, path: string | undefined): Reply {
  detach();
  // the state is made, used and freed with the library that made the weights
  lib = libFor(path);
  tokens = new TokenReader(lib);
  state = asPointer(lib.whisper_init_state(to));
  if (!state) return { type: "failed", code: "internal_error", message: "whisper.cpp could not allocate a decoding state (out of memory?)" };
  ctx = to;
  return { type: "ok" };
}

function detach(): void {
  if (state) lib!.whisper_free_state(state);
  state = null;
  ctx = null;
}

/** The language to decode in, detected from the first 30 s of speech when not given. */
function chooseLanguage(c: Pointer, st: Pointer, o: DecodeOptions, speech: () => Float32Array, threads: number) {
  if (lib!.whisper_is_multilingual(c) === 0) {
    if (o.language && o.language !== "en") {
      throw new WorkerFailure("invalid_request", `the loaded model is English-only; it cannot transcribe language '${o.language}'`);
    }
    if (o.translate) throw new WorkerFailure("invalid_request", "the loaded model is English-only; translation needs a multilingual model");
    return { language: "en" };
  }
  if (o.language && !o.detectLanguage) return { language: o.language };
  const t0 = performance.now();
  const samples = speech();
  const prob = new Float32Array(1);
  const id = samples.length ? lib!.sona_detect_language(c, st, samples, samples.length, threads, prob) : lib!.whisper_lang_id(Buffer.from("en\0"));
  if (id < 0) throw new WorkerFailure("internal_error", "language detection failed");
  return { language: String(lib!.whisper_lang_str(id)), languageProbability: samples.length ? prob[0] : undefined, detectLanguageMs: performance.now() - t0 };
}

/** The first `seconds` of the spans' audio, joined: what language detection listens to. */
function speechPrefix(samples: Float32Array, spans: SpeechSpan[], seconds: number): Float32Array {
  const parts: Float32Array[] = [];
  let left = seconds * SAMPLE_RATE;
  for (const s of spans) {
    if (left <= 0) break;
    const part = samples.subarray(Math.floor(s.start * SAMPLE_RATE), Math.min(Math.ceil(s.end * SAMPLE_RATE), Math.floor(s.start * SAMPLE_RATE) + left));
    parts.push(part);
    left -= part.length;
  }
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

type Call = (part: Float32Array | null, length: number, job: Omit<Job, "segments" | "eot">, opts: Omit<CallOptions, "language" | "threads">) => number;

/**
 * The original's stable_timestamps: whisper_full on each span alone, its times shifted by the
 * span's start and clamped to its end, the span before as context; progress per span, and an
 * abort lands between spans at the latest. No speech: no call, progress 100.
 */
function decodeBySpan(samples: Float32Array, spans: SpeechSpan[], o: DecodeOptions, abort: Int32Array, call: Call): number {
  const total = spans.reduce((sum, s) => sum + (s.end - s.start), 0);
  let done = 0;
  for (const [i, s] of spans.entries()) {
    if (Atomics.load(abort, 0) !== 0) return 0;
    const part = samples.subarray(Math.floor(s.start * SAMPLE_RATE), Math.ceil(s.end * SAMPLE_RATE));
    const share = (s.end - s.start) / total;
    const before = done;
    const rc = call(part, part.length, { offsetCs: Math.round(s.start * 100), endCs: Math.round(s.end * 100), progress: (p) => before + p * share }, {
      clearContext: i === 0 || Boolean(o.noContext),
      withPrompt: i === 0 || Boolean(o.carryInitialPrompt),
    });
    if (rc !== 0) return rc;
    done += 100 * share;
    post({ type: "event", event: { type: "progress", progress: done } });
  }
  if (spans.length === 0) post({ type: "event", event: { type: "progress", progress: 100 } });
  return 0;
}

/**
 * whisper.cpp keeps a call's log-mel in its state until the next call: 200 MB for 104 minutes of
 * audio, resident for as long as the server idles. After a long job the state is made anew (tens
 * of ms), which gives that memory back.
 */
const RENEW_STATE_AFTER_SAMPLES = 10 * 60 * SAMPLE_RATE;

function run(m: Extract<ToWorker, { type: "run" }>): Reply {
  const long = m.samples.length >= RENEW_STATE_AFTER_SAMPLES;
  try {
    return decode(m);
  } finally {
    if (long && ctx) attach(ctx, lib === gpuLib ? gpuLibPath : undefined);
  }
}

function decode(m: Extract<ToWorker, { type: "run" }>): Reply {
  if (!ctx || !state) return { type: "failed", code: "internal_error", message: "no model loaded" };
  const c = ctx;
  const st = state;
  const o = m.options;
  const samples = m.samples;
  const n = samples.length;
  const threads = o.threads ?? defaultThreads();
  const eot = lib!.whisper_token_eot(c);
  // Sona's own VAD pass: the spans to decode one by one, and, with vad=true, only when language
  // detection needs them (it listens to speech, not to a silent opening; whisper_full runs its own)
  let spans: SpeechSpan[] | undefined;
  let vadMs: number | undefined;
  const speech = () => {
    if (!spans && o.vad) {
      const t0 = performance.now();
      spans = detector!.detect(samples, o.vad);
      vadMs = performance.now() - t0;
    }
    return spans;
  };
  if (o.vad?.mode === "spans") speech();
  const lang = chooseLanguage(c, st, o, () => {
    const found = speech();
    return found ? speechPrefix(samples, found, 30) : samples.subarray(0, 30 * SAMPLE_RATE);
  }, threads);
  const segments: Segment[] = [];
  const started = performance.now();
  const call: Call = (part, partLength, j, opts) => {
    const params = buildParams(lib!, o, { ...opts, language: lang.language, threads }, onSegment.ptr!, onProgress.ptr!);
    job = { ...j, segments, eot };
    try {
      return lib!.sona_full(c, st, params.pointer, part, partLength, ptr(m.abort));
    } finally {
      job = undefined;
      lib!.whisper_free_params(params.pointer);
    }
  };
  let rc = 0;
  const whole = { offsetCs: 0, endCs: Number.POSITIVE_INFINITY, progress: (p: number) => p };
  if (o.vad?.mode === "spans") {
    rc = decodeBySpan(samples, spans!, o, m.abort, call);
  } else if (!o.vad && !o.wordTimestamps) {
    // whisper_full needs the samples only for the log-mel spectrogram, and for the signal energy
    // behind word timestamps (and for its VAD). Otherwise the mel is made first and the samples
    // (230 MB for an hour) are let go before inference; with none, whisper_full uses that mel.
    // The consuming call gives their pages back while it makes the mel (115 MB for an hour), so
    // the two never take more than the samples alone; the samples read as zeros afterwards. That is safe:
    // nothing reads them again. Language detection has already run; there are no VAD spans and
    // no token energies (the conditions above); whisper_full gets no samples; the main thread
    // gave this buffer up when it transferred it here (diarize reads its own stereo channels);
    // and release() detaches it now. (It cannot fail once it has begun; if it fails, the request does.)
    rc = lib!.sona_pcm_to_mel_consuming(c, st, samples, n, threads);
    release(samples);
    if (rc === 0) rc = call(null, 0, whole, { clearContext: true, withPrompt: true });
  } else {
    rc = call(samples, n, whole, { clearContext: true, withPrompt: true });
  }
  const inferenceMs = performance.now() - started;
  if (Atomics.load(m.abort, 0) !== 0) return { type: "failed", code: "aborted", message: "transcription aborted" };
  if (rc !== 0) {
    // ggml's Vulkan backend flags this instead of aborting (vulkan-instance.patch)
    if (lib === gpuLib && tookOutOfMemory(gpuLibPath)) {
      return { type: "failed", code: "gpu_out_of_memory", message: `the GPU ran out of memory (whisper.cpp code ${rc}); retry, or reload the model with no_gpu` };
    }
    return { type: "failed", code: "internal_error", message: `whisper.cpp failed to transcribe (code ${rc}): ${String(lib!.sona_last_error() ?? "")}` };
  }
  return {
    type: "done",
    result: {
      task: o.translate ? "translate" : "transcribe",
      language: lang.language,
      languageProbability: lang.languageProbability,
      duration: n / SAMPLE_RATE,
      segments,
      temperature: o.temperature,
      speech: spans,
      timings: { inferenceMs, detectLanguageMs: lang.detectLanguageMs, vadMs },
    },
  };
}

// Frees the samples now rather than at some later collection: detaching the buffer cuts every
// reference to its memory, and the collection returns it. A full collection costs ~20 ms, so only
// for audio long enough to matter (8 MiB of samples is about 2 minutes).
function release(samples: Float32Array): void {
  const bytes = samples.byteLength;
  (samples.buffer as ArrayBuffer).transfer(0);
  if (bytes >= 8 << 20) Bun.gc(true);
}

/** Speech streams of live sessions, each with a Silero context (and LSTM state) of its own. */
const streams = new Map<number, SpeechDetector>();

function handle(m: ToWorker): Reply | undefined {
  switch (m.type) {
    case "init":
      lib = cpuLib = openLibrary(m.libPath);
      tokens = new TokenReader(lib);
      detector = new SpeechDetector(lib);
      logLevel = m.logLevel;
      lib.sona_log_set_level(m.logLevel);
      return { type: "ready", whisperVersion: String(lib.whisper_version()), systemInfo: String(lib.whisper_print_system_info()) };
    case "load":
      return load(m);
    case "attach":
      return attach(m.ctx as Pointer, m.gpuLib);
    case "detach":
      detach();
      return { type: "ok" };
    case "free":
      libFor(m.gpuLib).whisper_free(m.ctx as Pointer);
      return { type: "ok" };
    case "run":
      return run(m);
    case "vad": {
      const t0 = performance.now();
      const spans = detector!.detect(m.samples, m.vad);
      return { type: "spans", spans, vadMs: performance.now() - t0 };
    }
    case "vad-stream": {
      let stream = streams.get(m.stream);
      if (!stream) {
        // a stream is opened by its first call; a later one finding none lost it in a restart
        if (!m.reset) throw new WorkerFailure("internal_error", "the live session's speech detector was lost: the engine worker was restarted");
        streams.set(m.stream, (stream = new SpeechDetector(cpuLib!)));
      }
      const probs = stream.probabilities(m.samples, m.modelPath, m.reset);
      self.postMessage({ type: "probs", probs, id: m.id }, [probs.buffer]);
      return undefined;
    }
    case "vad-stream-end":
      streams.get(m.stream)?.close();
      streams.delete(m.stream);
      return { type: "ok" };
    case "crash":
      setTimeout(() => {
        throw new Error("engine worker crash (test hook)");
      });
      return undefined;
  }
}

self.onmessage = (e: MessageEvent<ToWorker>) => {
  const m = e.data;
  current = m.id;
  try {
    const reply = handle(m);
    if (reply) post(reply);
  } catch (err) {
    job = undefined;
    const code = err instanceof WorkerFailure ? err.code : "internal_error";
    post({ type: "failed", code, message: err instanceof Error ? err.message : String(err) });
  }
};
