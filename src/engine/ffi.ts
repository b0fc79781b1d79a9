// The native binding: the only file that touches pointers. It opens one libsona-whisper build
// (whisper.cpp + ggml + scripts/whisper/shim.c) and wraps the handful of calls Sona needs in a
// small typed surface. It runs inside the engine worker, never on the server's thread.
import { CString, dlopen, JSCallback, ptr, toArrayBuffer, type Pointer } from "bun:ffi";

const SYMBOLS = {
  // (ctx, state, params, samples, n, abort): every slot decodes on a state of its own
  sona_full: { args: ["ptr", "ptr", "ptr", "ptr", "i32", "ptr"], returns: "i32" },
  sona_init_from_file: { args: ["cstring", "ptr"], returns: "ptr" },
  whisper_init_state: { args: ["ptr"], returns: "ptr" },
  whisper_free_state: { args: ["ptr"], returns: "void" },
  sona_token_data: { args: ["ptr", "i32", "i32", "ptr"], returns: "void" },
  sona_detect_language: { args: ["ptr", "ptr", "ptr", "i32", "i32", "ptr"], returns: "i32" },
  sona_pcm_to_mel_consuming: { args: ["ptr", "ptr", "ptr", "i32", "i32"], returns: "i32" },
  sona_log_set_level: { args: ["i32"], returns: "void" },
  sona_last_error: { args: [], returns: "cstring" },
  sona_clear_last_error: { args: [], returns: "void" },
  sona_layout: { args: [], returns: "cstring" },
  whisper_full_default_params_by_ref: { args: ["i32"], returns: "ptr" },
  whisper_context_default_params_by_ref: { args: [], returns: "ptr" },
  whisper_free_params: { args: ["ptr"], returns: "void" },
  whisper_free_context_params: { args: ["ptr"], returns: "void" },
  whisper_free: { args: ["ptr"], returns: "void" },
  whisper_full_n_segments_from_state: { args: ["ptr"], returns: "i32" },
  whisper_full_get_segment_t0_from_state: { args: ["ptr", "i32"], returns: "i64" },
  whisper_full_get_segment_t1_from_state: { args: ["ptr", "i32"], returns: "i64" },
  whisper_full_get_segment_text_from_state: { args: ["ptr", "i32"], returns: "ptr" },
  whisper_full_get_segment_no_speech_prob_from_state: { args: ["ptr", "i32"], returns: "f32" },
  whisper_full_get_segment_temperature_from_state: { args: ["ptr", "i32"], returns: "f32" },
  sona_vad_init: { args: ["cstring", "i32"], returns: "ptr" },
  sona_vad_default_params: { args: ["ptr"], returns: "void" },
  sona_vad_segments: { args: ["ptr", "ptr", "ptr", "i32"], returns: "ptr" },
  whisper_vad_segments_n_segments: { args: ["ptr"], returns: "i32" },
  whisper_vad_segments_get_segment_t0: { args: ["ptr", "i32"], returns: "f32" },
  whisper_vad_segments_get_segment_t1: { args: ["ptr", "i32"], returns: "f32" },
  whisper_vad_free_segments: { args: ["ptr"], returns: "void" },
  whisper_vad_free: { args: ["ptr"], returns: "void" },
  // streaming: one probability per 512-sample window, the LSTM state kept between calls
  whisper_vad_detect_speech_no_reset: { args: ["ptr", "ptr", "i32"], returns: "bool" },
  whisper_vad_reset_state: { args: ["ptr"], returns: "void" },
  whisper_vad_n_probs: { args: ["ptr"], returns: "i32" },
  whisper_vad_probs: { args: ["ptr"], returns: "ptr" },
  whisper_full_n_tokens_from_state: { args: ["ptr", "i32"], returns: "i32" },
  whisper_token_to_str: { args: ["ptr", "i32"], returns: "ptr" },
  whisper_token_eot: { args: ["ptr"], returns: "i32" },
  whisper_is_multilingual: { args: ["ptr"], returns: "i32" },
  whisper_lang_str: { args: ["i32"], returns: "cstring" },
  whisper_lang_id: { args: ["cstring"], returns: "i32" },
  whisper_version: { args: [], returns: "cstring" },
  whisper_print_system_info: { args: [], returns: "cstring" },
} as const;

export type WhisperSymbols = ReturnType<typeof dlopen<typeof SYMBOLS>>["symbols"];

/** Offsets used on this side; checked against the library's own offsetof() report on open. */
export const LAYOUT = {
  whisper_full_params: {
    sizeof: 304, strategy: 0, n_threads: 4, n_max_text_ctx: 8, offset_ms: 12, duration_ms: 16, translate: 20,
    no_context: 21, no_timestamps: 22, single_segment: 23, print_special: 24, print_progress: 25, print_realtime: 26,
    print_timestamps: 27, token_timestamps: 28, thold_pt: 32, thold_ptsum: 36, max_len: 40, split_on_word: 44,
    max_tokens: 48, debug_mode: 52, audio_ctx: 56, tdrz_enable: 60, suppress_regex: 64, initial_prompt: 72,
    carry_initial_prompt: 80, prompt_tokens: 88, prompt_n_tokens: 96, language: 104, detect_language: 112,
    suppress_blank: 113, suppress_nst: 114, temperature: 116, max_initial_ts: 120, length_penalty: 124,
    temperature_inc: 128, entropy_thold: 132, logprob_thold: 136, no_speech_thold: 140, "greedy.best_of": 144,
    "beam_search.beam_size": 148, "beam_search.patience": 152, new_segment_callback: 160,
    new_segment_callback_user_data: 168, progress_callback: 176, progress_callback_user_data: 184,
    encoder_begin_callback: 192, abort_callback: 208, abort_callback_user_data: 216, vad: 268, vad_model_path: 272,
    vad_params: 280,
  },
  whisper_context_params: { sizeof: 48, use_gpu: 0, flash_attn: 1, gpu_device: 4, dtw_token_timestamps: 8, dtw_aheads_preset: 12 },
  whisper_token_data: { sizeof: 56, id: 0, tid: 4, p: 8, plog: 12, pt: 16, ptsum: 20, t0: 24, t1: 32, t_dtw: 40, vlen: 48 },
  whisper_vad_params: {
    sizeof: 24, threshold: 0, min_speech_duration_ms: 4, min_silence_duration_ms: 8, max_speech_duration_s: 12,
    speech_pad_ms: 16, samples_overlap: 20,
  },
} as const;

export type FullParamsField = keyof typeof LAYOUT.whisper_full_params;

/** Differences between LAYOUT and the library's offsetof() report ("" when they agree). */
export function layoutMismatches(reported: Record<string, Record<string, number>>): string[] {
  const out: string[] = [];
  for (const [struct, fields] of Object.entries(LAYOUT)) {
    for (const [field, offset] of Object.entries(fields)) {
      const actual = reported[struct]?.[field];
      if (actual !== offset) out.push(`${struct}.${field}: ours ${offset}, library ${actual}`);
    }
    for (const field of Object.keys(reported[struct] ?? {})) {
      if (!(field in fields)) out.push(`${struct}.${field}: reported by the library, unknown here`);
    }
  }
  return out;
}

export function openLibrary(path: string): WhisperSymbols {
  const lib = dlopen(path, SYMBOLS);
  const mismatches = layoutMismatches(JSON.parse(String(lib.symbols.sona_layout())));
  if (mismatches.length) {
    lib.close();
    throw new Error(`libwhisper struct layout differs from src/engine/ffi.ts: ${mismatches.join("; ")}`);
  }
  return lib.symbols;
}

/** A struct allocated by whisper.cpp, edited in place through a DataView at LAYOUT offsets. */
export class ParamsStruct {
  readonly view: DataView;
  /** strings the struct points to must outlive the native call */
  private readonly keep: Buffer[] = [];
  constructor(readonly pointer: Pointer, size: number) {
    this.view = new DataView(toArrayBuffer(pointer, 0, size));
  }
  bool(offset: number, v: boolean) { this.view.setUint8(offset, v ? 1 : 0); }
  i32(offset: number, v: number) { this.view.setInt32(offset, v, true); }
  f32(offset: number, v: number) { this.view.setFloat32(offset, v, true); }
  pointerAt(offset: number, p: Pointer | null) { this.view.setBigUint64(offset, BigInt(p ?? 0), true); }
  string(offset: number, s: string | null) {
    if (s === null) return this.pointerAt(offset, null);
    const buf = Buffer.from(`${s}\0`, "utf8");
    this.keep.push(buf);
    this.pointerAt(offset, ptr(buf));
  }
}

/** One token of a decoded segment, read through sona_token_data at LAYOUT offsets. */
export class TokenReader {
  private readonly buf = new ArrayBuffer(LAYOUT.whisper_token_data.sizeof);
  private readonly view = new DataView(this.buf);
  private readonly out = ptr(this.buf);
  constructor(private readonly lib: WhisperSymbols) {}
  read(state: Pointer, segment: number, token: number): { id: number; p: number; plog: number; t0: number; t1: number } {
    const T = LAYOUT.whisper_token_data;
    this.lib.sona_token_data(state, segment, token, this.out);
    return {
      id: this.view.getInt32(T.id, true),
      p: this.view.getFloat32(T.p, true),
      plog: this.view.getFloat32(T.plog, true),
      t0: Number(this.view.getBigInt64(T.t0, true)),
      t1: Number(this.view.getBigInt64(T.t1, true)),
    };
  }
}

/** bun:ffi types "ptr" results as Pointer | bigint | null; whisper's pointers always fit a Pointer */
export function asPointer(p: Pointer | bigint | null): Pointer | null {
  return p === null || p === 0 || p === 0n ? null : (Number(p) as Pointer);
}

export function readCString(p: Pointer | bigint | null): string {
  const q = asPointer(p);
  return q ? new CString(q).toString() : "";
}

export { JSCallback, ptr, toArrayBuffer };
export type { Pointer };
