// The engine worker: owns the native library and the whisper context, and runs whisper_full on
// its own thread so the server's thread keeps answering while inference runs for seconds or
// hours. Segment and progress hooks are synchronous JSCallbacks (whisper.cpp calls them on this
// thread); their postMessage calls reach the main thread while whisper_full is still running.
// Abort is a shared int32 that the C shim polls between graph nodes.
declare const self: Worker;

import { defaultThreads } from "./defaults.ts";
import { buildParams } from "./params.ts";
import { asPointer, JSCallback, LAYOUT, openLibrary, ParamsStruct, ptr, readCString, type Pointer, type WhisperSymbols } from "./ffi.ts";
import type { DecodeOptions, FromWorker, ToWorker } from "./protocol.ts";
import type { Segment, Token } from "./types.ts";

let lib: WhisperSymbols | undefined;
let ctx: Pointer | null = null;
let modelPath = "";
let job: { segments: Segment[]; eot: number } | undefined;
const tokenBuf = new ArrayBuffer(56);
const tokenView = new DataView(tokenBuf);
const tokenPtr = ptr(tokenBuf);

const post = (m: FromWorker) => self.postMessage(m);

function readSegment(c: Pointer, i: number, eot: number): Segment {
  const tokens: Token[] = [];
  const n = lib!.whisper_full_n_tokens(c, i);
  for (let k = 0; k < n; k++) {
    lib!.sona_token_data(c, i, k, tokenPtr);
    const id = tokenView.getInt32(0, true);
    tokens.push({
      id,
      text: readCString(lib!.whisper_token_to_str(c, id)),
      p: tokenView.getFloat32(8, true),
      plog: tokenView.getFloat32(12, true),
      t0: Number(tokenView.getBigInt64(24, true)),
      t1: Number(tokenView.getBigInt64(32, true)),
      special: id >= eot,
    });
  }
  return {
    id: i,
    t0: Number(lib!.whisper_full_get_segment_t0(c, i)),
    t1: Number(lib!.whisper_full_get_segment_t1(c, i)),
    text: readCString(lib!.whisper_full_get_segment_text(c, i)),
    tokens,
    noSpeechProb: lib!.whisper_full_get_segment_no_speech_prob(c, i),
  };
}

// Made once per worker: the closures read the current job, so no callback is created per request.
const onSegment = new JSCallback(
  (c: Pointer, _state: Pointer, nNew: number) => {
    if (!job) return;
    const total = lib!.whisper_full_n_segments(c);
    for (let i = total - nNew; i < total; i++) {
      const segment = readSegment(c, i, job.eot);
      job.segments.push(segment);
      post({ type: "event", event: { type: "segment", segment } });
    }
  },
  { args: ["ptr", "ptr", "i32", "ptr"], returns: "void" },
);
const onProgress = new JSCallback(
  (_c: Pointer, _state: Pointer, progress: number) => post({ type: "event", event: { type: "progress", progress } }),
  { args: ["ptr", "ptr", "i32", "ptr"], returns: "void" },
);

function load(m: Extract<ToWorker, { type: "load" }>): FromWorker {
  const t0 = performance.now();
  const cparams = asPointer(lib!.whisper_context_default_params_by_ref())!;
  const cp = new ParamsStruct(cparams, LAYOUT.whisper_context_params.sizeof);
  cp.bool(LAYOUT.whisper_context_params.use_gpu, m.useGpu);
  cp.bool(LAYOUT.whisper_context_params.flash_attn, m.flashAttn);
  cp.i32(LAYOUT.whisper_context_params.gpu_device, m.gpuDevice);
  lib!.sona_clear_last_error();
  const next = asPointer(lib!.sona_init_from_file(Buffer.from(`${m.path}\0`), cparams));
  lib!.whisper_free_context_params(cparams);
  if (!next) {
    const detail = String(lib!.sona_last_error() ?? "");
    return { type: "failed", code: "invalid_model", message: `whisper.cpp could not load ${m.path}${detail ? `: ${detail}` : ""}` };
  }
  if (ctx) lib!.whisper_free(ctx);
  ctx = next;
  modelPath = m.path;
  const multilingual = lib!.whisper_is_multilingual(ctx) !== 0;
  return { type: "loaded", model: { path: modelPath, multilingual, loadMs: performance.now() - t0 } };
}

function run(m: Extract<ToWorker, { type: "run" }>): FromWorker {
  if (!ctx) return { type: "failed", code: "internal_error", message: "no model loaded" };
  const c = ctx;
  const o: DecodeOptions = m.options;
  const multilingual = lib!.whisper_is_multilingual(c) !== 0;
  const threads = o.threads ?? defaultThreads();
  let language = o.language;
  let languageProbability: number | undefined;
  let detectLanguageMs: number | undefined;
  if (!multilingual) {
    if (language && language !== "en") {
      return { type: "failed", code: "invalid_request", message: `the loaded model is English-only; it cannot transcribe language '${language}'` };
    }
    if (o.translate) return { type: "failed", code: "invalid_request", message: "the loaded model is English-only; translation needs a multilingual model" };
    language = "en";
  } else if (!language || o.detectLanguage) {
    const t0 = performance.now();
    const prob = new Float32Array(1);
    const id = lib!.sona_detect_language(c, m.samples, m.samples.length, threads, prob);
    if (id < 0) return { type: "failed", code: "internal_error", message: "language detection failed" };
    language = String(lib!.whisper_lang_str(id));
    languageProbability = prob[0];
    detectLanguageMs = performance.now() - t0;
  }
  const n = m.samples.length;
  const params = buildParams(lib!, { ...o, language, threads }, onSegment.ptr!, onProgress.ptr!);
  job = { segments: [], eot: lib!.whisper_token_eot(c) };
  const started = performance.now();
  let rc: number;
  try {
    // whisper_full needs the samples only for the log-mel spectrogram, and for the signal energy
    // behind word timestamps. Otherwise the mel is made first and the samples (230 MB for an hour)
    // are let go before inference; whisper_full with no samples uses the mel already there.
    if (!o.wordTimestamps && lib!.whisper_pcm_to_mel(c, m.samples, n, threads) === 0) {
      release(m.samples);
      rc = lib!.sona_full(c, params.pointer, null, 0, ptr(m.abort));
    } else {
      rc = lib!.sona_full(c, params.pointer, m.samples, n, ptr(m.abort));
    }
  } finally {
    lib!.whisper_free_params(params.pointer);
  }
  const inferenceMs = performance.now() - started;
  const segments = job.segments;
  job = undefined;
  if (Atomics.load(m.abort, 0) !== 0) return { type: "failed", code: "aborted", message: "transcription aborted" };
  if (rc !== 0) return { type: "failed", code: "internal_error", message: `whisper.cpp failed to transcribe (code ${rc}): ${String(lib!.sona_last_error() ?? "")}` };
  return {
    type: "done",
    result: {
      task: o.translate ? "translate" : "transcribe",
      language: language!,
      languageProbability,
      duration: n / 16000,
      segments,
      temperature: o.temperature,
      timings: { inferenceMs, detectLanguageMs },
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

self.onmessage = (e: MessageEvent<ToWorker>) => {
  const m = e.data;
  try {
    switch (m.type) {
      case "init":
        lib = openLibrary(m.libPath);
        lib.sona_log_set_level(m.logLevel);
        return post({ type: "ready", whisperVersion: String(lib.whisper_version()), systemInfo: String(lib.whisper_print_system_info()) });
      case "load":
        return post(load(m));
      case "unload":
        if (ctx) lib!.whisper_free(ctx);
        ctx = null;
        return post({ type: "unloaded" });
      case "run":
        return post(run(m));
    }
  } catch (err) {
    job = undefined;
    post({ type: "failed", code: "internal_error", message: err instanceof Error ? err.message : String(err) });
  }
};
