// What buildParams writes into whisper.cpp's own whisper_full_params, read back at the offsets the
// library itself reports: each option reaches the field whisper.cpp reads, nothing else moves.
import { describe, expect, test } from "bun:test";
import { parseOptions } from "../options.ts";
import { VENDORED_VAD_PATH } from "../vad/model.ts";
import { asPointer, JSCallback, LAYOUT, openLibrary, readCString } from "./ffi.ts";
import { chooseLibrary } from "./library.ts";
import { buildParams, vadParamsBytes } from "./params.ts";

const lib = openLibrary(chooseLibrary().path);
const F = LAYOUT.whisper_full_params;
const V = LAYOUT.whisper_vad_params;
const noop = new JSCallback(() => {}, { args: ["ptr", "ptr", "i32", "ptr"], returns: "void" });
const call = { language: "en", threads: 2, clearContext: true, withPrompt: true };

function written(fields: Record<string, string>, extra: Partial<typeof call> = {}) {
  const o = parseOptions(fields);
  const decode = { ...o, vad: o.vad && { mode: o.vad.mode, modelPath: VENDORED_VAD_PATH, params: o.vad.params } };
  const p = buildParams(lib, decode, { ...call, ...extra }, noop.ptr!, noop.ptr!);
  const v = p.view;
  const read = {
    noSpeech: v.getFloat32(F.no_speech_thold, true),
    logprob: v.getFloat32(F.logprob_thold, true),
    entropy: v.getFloat32(F.entropy_thold, true),
    nst: v.getUint8(F.suppress_nst),
    blank: v.getUint8(F.suppress_blank),
    carry: v.getUint8(F.carry_initial_prompt),
    noContext: v.getUint8(F.no_context),
    maxTextCtx: v.getInt32(F.n_max_text_ctx, true),
    prompt: readCString(asPointer(v.getBigUint64(F.initial_prompt, true))),
    vad: v.getUint8(F.vad),
    vadPath: readCString(asPointer(v.getBigUint64(F.vad_model_path, true))),
    vadThreshold: v.getFloat32(F.vad_params + V.threshold, true),
    vadPad: v.getInt32(F.vad_params + V.speech_pad_ms, true),
  };
  lib.whisper_free_params(p.pointer);
  return read;
}

describe("buildParams", () => {
  test("the defaults are whisper.cpp's own", () => {
    expect(written({})).toMatchObject({ noSpeech: Math.fround(0.6), logprob: -1, entropy: Math.fround(2.4), nst: 0, blank: 1, carry: 0, noContext: 1, maxTextCtx: 16384, vad: 0 });
  });

  test("hallucination controls reach their fields", () => {
    const r = written({ no_speech_thold: "0.3", logprob_thold: "-0.5", entropy_thold: "3", suppress_nst: "true", suppress_blank: "false", carry_initial_prompt: "true", no_context: "true", prompt: "Names: Ada." });
    expect(r).toMatchObject({ noSpeech: Math.fround(0.3), logprob: -0.5, entropy: 3, nst: 1, blank: 0, carry: 1, maxTextCtx: 0, prompt: "Names: Ada." });
  });

  test("a later span carries the text before it and, without carry_initial_prompt, not the prompt", () => {
    expect(written({ prompt: "Ada" }, { clearContext: false, withPrompt: false })).toMatchObject({ noContext: 0, prompt: "" });
  });

  test("vad=true sets whisper.cpp's VAD fields; stable_timestamps leaves them to Sona", () => {
    expect(written({ vad: "true", vad_threshold: "0.7", vad_speech_pad_ms: "50" })).toMatchObject({ vad: 1, vadPath: VENDORED_VAD_PATH, vadThreshold: Math.fround(0.7), vadPad: 50 });
    expect(written({ stable_timestamps: "true" })).toMatchObject({ vad: 0 });
  });

  test("whisper_vad_params bytes: no max speech duration is FLT_MAX", () => {
    const b = new DataView(vadParamsBytes({ threshold: 0.5, minSpeechMs: 250, minSilenceMs: 100, maxSpeechS: Infinity, speechPadMs: 30, samplesOverlap: 0.1 }).buffer);
    expect(b.getFloat32(V.max_speech_duration_s, true)).toBe(3.4028234663852886e38);
    expect(b.getInt32(V.min_silence_duration_ms, true)).toBe(100);
  });
});
