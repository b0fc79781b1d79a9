// Sona's C shim, linked into the same shared library as whisper.cpp and ggml.
//
// bun:ffi cannot pass or return C structs by value, so every by-value whisper.cpp entry point
// gets a twin here that takes a pointer. The shim also owns three things that must not be
// JavaScript: the log callback (ggml may log from any thread), the abort check (polled once per
// graph node, tens of thousands of times a run), and the struct layout report that the
// TypeScript side checks its field offsets against.
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "whisper.h"

#define SONA_API __attribute__((visibility("default")))

// Added to whisper.cpp (not to whisper.h) by Sona's patches: vad-fixes.patch, sampling-per-call.patch,
// mel-in-place.patch.
int whisper_full_with_state_vad(struct whisper_context *ctx, struct whisper_state *state,
                                struct whisper_full_params params, const float *samples, int n_samples);
int whisper_pcm_to_mel_consuming_with_state(struct whisper_context *ctx, struct whisper_state *state,
                                            float *samples, int n_samples, int n_threads);
float whisper_full_get_segment_temperature_from_state(struct whisper_state *state, int i_segment);

// ---- by-value twins ------------------------------------------------------------------------

static bool sona_abort_check(void *flag) {
    return atomic_load_explicit((_Atomic int32_t *)flag, memory_order_relaxed) != 0;
}

// Runs whisper_full_with_state with *params: each of Sona's slots decodes on its own state over
// the one context (the weights are loaded once). When abort_flag is not NULL, whisper.cpp (and,
// with Sona's patch, ggml between graph nodes) stops as soon as the int32 it points to is non-zero.
SONA_API int sona_full(struct whisper_context *ctx, struct whisper_state *state,
                       const struct whisper_full_params *params, const float *samples, int n_samples,
                       int32_t *abort_flag) {
    struct whisper_full_params p = *params;
    if (abort_flag) {
        p.abort_callback = sona_abort_check;
        p.abort_callback_user_data = abort_flag;
    }
    return whisper_full_with_state_vad(ctx, state, p, samples, n_samples);
}

// whisper_pcm_to_mel_with_state for samples the caller is done with: while the mel is made, the
// pages of the samples that the rest of it does not read are returned to the OS, so an hour of
// audio (230 MB) and its mel (115 MB) never take more than the samples alone. Afterwards they read as
// zeros: only for a caller that reads them no more (no word timestamps, no VAD; whisper_full then
// runs on this mel with no samples) and frees them next.
SONA_API int sona_pcm_to_mel_consuming(struct whisper_context *ctx, struct whisper_state *state,
                                       float *samples, int n_samples, int n_threads) {
    return whisper_pcm_to_mel_consuming_with_state(ctx, state, samples, n_samples, n_threads);
}

// The weights and vocabulary only: every slot makes its own state with whisper_init_state.
SONA_API struct whisper_context *sona_init_from_file(const char *path,
                                                     const struct whisper_context_params *params) {
    return whisper_init_from_file_with_params_no_state(path, *params);
}

SONA_API void sona_token_data(struct whisper_state *state, int segment, int token,
                              whisper_token_data *out) {
    *out = whisper_full_get_token_data_from_state(state, segment, token);
}

// Detects the spoken language from the first 30 s of audio. Returns the language id (or a
// negative value) and writes its probability. whisper_full would run the same detection
// internally but keeps the probability to itself.
SONA_API int sona_detect_language(struct whisper_context *ctx, struct whisper_state *state,
                                  const float *samples, int n_samples, int n_threads,
                                  float *probability) {
    int n = n_samples < 30 * 16000 ? n_samples : 30 * 16000;
    if (whisper_pcm_to_mel_with_state(ctx, state, samples, n, n_threads) != 0) return -1;
    float probs[128] = {0};
    if (whisper_lang_max_id() + 1 > 128) return -2;
    int id = whisper_lang_auto_detect_with_state(ctx, state, 0, n_threads, probs);
    if (id >= 0 && probability) *probability = probs[id];
    return id;
}

// ---- voice activity detection ---------------------------------------------------------------

// A Silero VAD context on n_threads. whisper.cpp's default (4) is wrong twice over here: each graph
// wakes ggml's thread pool, which costs more than a graph of a few chunks (a live stream's), and
// more threads than cores spin (see vad-fixes.patch). A file's pass, 128 chunks per graph
// (vad-batch.patch), gains from a second thread.
SONA_API struct whisper_vad_context *sona_vad_init(const char *path, int n_threads) {
    struct whisper_vad_context_params p = whisper_vad_default_context_params();
    p.n_threads = n_threads;
    p.use_gpu = false;
    return whisper_vad_init_from_file_with_params(path, p);
}

SONA_API void sona_vad_default_params(struct whisper_vad_params *out) { *out = whisper_vad_default_params(); }

// Speech probabilities for the samples (one per 512-sample chunk), then the speech spans they make.
// Returns NULL when detection fails; the caller frees the result with whisper_vad_free_segments.
SONA_API struct whisper_vad_segments *sona_vad_segments(struct whisper_vad_context *vctx,
                                                        const struct whisper_vad_params *params,
                                                        const float *samples, int n_samples) {
    if (!whisper_vad_detect_speech(vctx, samples, n_samples)) return NULL;
    return whisper_vad_segments_from_probs(vctx, *params);
}

// ---- logging -------------------------------------------------------------------------------

static _Atomic int sona_log_min_level = GGML_LOG_LEVEL_ERROR + 1; // silent by default
static char sona_last_error_buf[512];

static void sona_log(enum ggml_log_level level, const char *text, void *user_data) {
    (void)user_data;
    if (level == GGML_LOG_LEVEL_ERROR && text) {
        // keep the last error line for messages such as "failed to load model"
        size_t n = strlen(text);
        if (n >= sizeof(sona_last_error_buf)) n = sizeof(sona_last_error_buf) - 1;
        memcpy(sona_last_error_buf, text, n);
        while (n > 0 && (sona_last_error_buf[n - 1] == '\n' || sona_last_error_buf[n - 1] == ' ')) n--;
        sona_last_error_buf[n] = 0;
    }
    // GGML_LOG_LEVEL_CONT continues the previous line; show it when anything is shown
    int min = atomic_load(&sona_log_min_level);
    if ((int)level >= min || (level == GGML_LOG_LEVEL_CONT && min <= GGML_LOG_LEVEL_INFO)) {
        fputs(text, stderr); // never stdout: that belongs to results and the ready line
    }
}

// level: GGML_LOG_LEVEL_DEBUG (1) .. ERROR (4) shows that level and above; 5 silences all.
SONA_API void sona_log_set_level(int level) {
    atomic_store(&sona_log_min_level, level);
    whisper_log_set(sona_log, NULL);
}

SONA_API const char *sona_last_error(void) { return sona_last_error_buf; }
SONA_API void sona_clear_last_error(void) { sona_last_error_buf[0] = 0; }

// ---- layout report -------------------------------------------------------------------------

#define FIELD(T, f) n += snprintf(buf + n, sizeof(buf) - n, "\"%s\":%zu,", #f, offsetof(T, f))

SONA_API const char *sona_layout(void) {
    static char buf[8192];
    int n = 0;
    n += snprintf(buf + n, sizeof(buf) - n, "{\"whisper_full_params\":{\"sizeof\":%zu,",
                  sizeof(struct whisper_full_params));
    FIELD(struct whisper_full_params, strategy);
    FIELD(struct whisper_full_params, n_threads);
    FIELD(struct whisper_full_params, n_max_text_ctx);
    FIELD(struct whisper_full_params, offset_ms);
    FIELD(struct whisper_full_params, duration_ms);
    FIELD(struct whisper_full_params, translate);
    FIELD(struct whisper_full_params, no_context);
    FIELD(struct whisper_full_params, no_timestamps);
    FIELD(struct whisper_full_params, single_segment);
    FIELD(struct whisper_full_params, print_special);
    FIELD(struct whisper_full_params, print_progress);
    FIELD(struct whisper_full_params, print_realtime);
    FIELD(struct whisper_full_params, print_timestamps);
    FIELD(struct whisper_full_params, token_timestamps);
    FIELD(struct whisper_full_params, thold_pt);
    FIELD(struct whisper_full_params, thold_ptsum);
    FIELD(struct whisper_full_params, max_len);
    FIELD(struct whisper_full_params, split_on_word);
    FIELD(struct whisper_full_params, max_tokens);
    FIELD(struct whisper_full_params, debug_mode);
    FIELD(struct whisper_full_params, audio_ctx);
    FIELD(struct whisper_full_params, tdrz_enable);
    FIELD(struct whisper_full_params, suppress_regex);
    FIELD(struct whisper_full_params, initial_prompt);
    FIELD(struct whisper_full_params, carry_initial_prompt);
    FIELD(struct whisper_full_params, prompt_tokens);
    FIELD(struct whisper_full_params, prompt_n_tokens);
    FIELD(struct whisper_full_params, language);
    FIELD(struct whisper_full_params, detect_language);
    FIELD(struct whisper_full_params, suppress_blank);
    FIELD(struct whisper_full_params, suppress_nst);
    FIELD(struct whisper_full_params, temperature);
    FIELD(struct whisper_full_params, max_initial_ts);
    FIELD(struct whisper_full_params, length_penalty);
    FIELD(struct whisper_full_params, temperature_inc);
    FIELD(struct whisper_full_params, entropy_thold);
    FIELD(struct whisper_full_params, logprob_thold);
    FIELD(struct whisper_full_params, no_speech_thold);
    FIELD(struct whisper_full_params, greedy.best_of);
    FIELD(struct whisper_full_params, beam_search.beam_size);
    FIELD(struct whisper_full_params, beam_search.patience);
    FIELD(struct whisper_full_params, new_segment_callback);
    FIELD(struct whisper_full_params, new_segment_callback_user_data);
    FIELD(struct whisper_full_params, progress_callback);
    FIELD(struct whisper_full_params, progress_callback_user_data);
    FIELD(struct whisper_full_params, encoder_begin_callback);
    FIELD(struct whisper_full_params, abort_callback);
    FIELD(struct whisper_full_params, abort_callback_user_data);
    FIELD(struct whisper_full_params, vad);
    FIELD(struct whisper_full_params, vad_model_path);
    FIELD(struct whisper_full_params, vad_params);
    n--; // drop the trailing comma
    n += snprintf(buf + n, sizeof(buf) - n, "},\"whisper_context_params\":{\"sizeof\":%zu,",
                  sizeof(struct whisper_context_params));
    FIELD(struct whisper_context_params, use_gpu);
    FIELD(struct whisper_context_params, flash_attn);
    FIELD(struct whisper_context_params, gpu_device);
    FIELD(struct whisper_context_params, dtw_token_timestamps);
    FIELD(struct whisper_context_params, dtw_aheads_preset);
    n--;
    n += snprintf(buf + n, sizeof(buf) - n, "},\"whisper_token_data\":{\"sizeof\":%zu,",
                  sizeof(whisper_token_data));
    FIELD(whisper_token_data, id);
    FIELD(whisper_token_data, tid);
    FIELD(whisper_token_data, p);
    FIELD(whisper_token_data, plog);
    FIELD(whisper_token_data, pt);
    FIELD(whisper_token_data, ptsum);
    FIELD(whisper_token_data, t0);
    FIELD(whisper_token_data, t1);
    FIELD(whisper_token_data, t_dtw);
    FIELD(whisper_token_data, vlen);
    n--;
    n += snprintf(buf + n, sizeof(buf) - n, "},\"whisper_vad_params\":{\"sizeof\":%zu,",
                  sizeof(struct whisper_vad_params));
    FIELD(struct whisper_vad_params, threshold);
    FIELD(struct whisper_vad_params, min_speech_duration_ms);
    FIELD(struct whisper_vad_params, min_silence_duration_ms);
    FIELD(struct whisper_vad_params, max_speech_duration_s);
    FIELD(struct whisper_vad_params, speech_pad_ms);
    FIELD(struct whisper_vad_params, samples_overlap);
    n--;
    snprintf(buf + n, sizeof(buf) - n, "}}");
    return buf;
}
