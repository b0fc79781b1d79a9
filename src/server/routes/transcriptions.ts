// POST /v1/audio/transcriptions: the one native transcription handler (the OpenAI translations
// route reaches it too). Order matters and follows the original: the gate is tried and the model
// checked before a byte of the body is read, so a busy or empty server answers at once; the
// upload then streams to a temp file; the gate and the file are released on every path. With the
// opt-in queue (sona serve --queue) a request that finds every slot taken takes a place in line
// instead, reads its upload meanwhile, and runs when its turn comes (a stream hears `queued`).
import { basename } from "node:path";
import type { Server } from "bun";
import { Elysia } from "elysia";
import type { TranscriptResult } from "../../engine/index.ts";
import { SonaError } from "../../errors.ts";
import { formatResult } from "../../format/index.ts";
import type { StreamEvent } from "../../format/stream.ts";
import { parseOptions, type TranscribeOptions } from "../../options.ts";
import { transcribeFile } from "../../transcribe.ts";
import type { ServerContext } from "../context.ts";
import { streamDialect } from "../openai/negotiate.ts";
import { DOCS } from "../openapi.ts";
import { RunningJob } from "../eta.ts";
import type { Lease } from "../busy.ts";
import { busyError, noModelError } from "../respond.ts";
import { eventStreamResponse } from "../stream.ts";
import { receiveUpload, type Upload } from "../upload.ts";

export interface TranscriptionRequest {
  request: Request;
  server: Server<unknown> | null;
  /** the translations route: translate to English whatever the form says */
  translate?: boolean;
}

export async function handleTranscription(ctx: ServerContext, { request, server, translate }: TranscriptionRequest): Promise<Response> {
  // right after a client cancelled, its abort may still be landing: wait for that, not for a job
  let lease = await ctx.gate.tryAcquireSoon(undefined, request.signal);
  const ticket = lease ? undefined : ctx.gate.enqueue(request.signal);
  if (!lease && !ticket) throw busyError();
  const held = (l: Lease) => {
    request.signal.addEventListener("abort", () => l.leaving(), { once: true });
    return (lease = l);
  };
  if (lease) held(lease);
  /** the slot: at once, or when the queue's turn comes (`emit` hears the place in line) */
  const admitted = async (emit?: (event: StreamEvent) => void): Promise<void> => {
    if (!lease) {
      if (emit) {
        emit({ type: "queued", position: ticket!.position() });
        ticket!.onMove((position) => emit({ type: "queued", position }));
      }
      const granted = await ticket!.lease;
      if (!granted) throw request.signal.aborted ? new SonaError("aborted", "the client went away while queued") : queueTimeoutError(ctx);
      held(granted);
    }
    if (!ctx.engine.model) await reloadAfterIdle(ctx);
  };
  let upload: Upload | undefined;
  let streaming = false;
  try {
    if (!ctx.engine.model && !ctx.idleUnloaded) throw noModelError();
    if (lease) await admitted();
    // an upload or a non-streamed hour of audio may leave the socket quiet for a long time, so
    // Bun's idle timeout is off; a client that stalls is caught by ctx.idleTimeoutMs instead
    server?.timeout(request, 0);
    const started = performance.now();
    upload = await receiveUpload(request, { maxFileBytes: ctx.maxUploadBytes, tmpDir: ctx.tmpDir, signal: request.signal, idleTimeoutMs: ctx.idleTimeoutMs });
    const fields = translate ? { ...upload.fields, translate: "true" } : upload.fields;
    const options = parseOptions(fields);
    const { path } = upload.file;

    if (options.stream) {
      streaming = true;
      const owned = upload;
      return eventStreamResponse({
        dialect: streamDialect(request.headers),
        words: options.words,
        diarized: options.responseFormat === "diarized_json",
        logprobs: options.logprobs,
        clientSignal: request.signal,
        run: async (emit, gone) => {
          await admitted(emit);
          gone.addEventListener("abort", () => lease?.leaving(), { once: true });
          return run(ctx, path, options, gone, emit);
        },
        finally: async () => {
          await owned.dispose();
          ticket?.cancel();
          lease?.release();
          if (ctx.verbose) ctx.log(`stream ended after ${Math.round(performance.now() - started)} ms`);
        },
        onInternalError: (err) => ctx.log(`transcription failed: ${describe(err)}`),
        idleTimeoutMs: ctx.idleTimeoutMs,
        onStalled: () => ctx.log(`the client read nothing of its stream for ${Math.round(ctx.idleTimeoutMs / 1000)} s: transcription aborted`),
      });
    }

    await admitted();
    const warnings: string[] = [];
    const result = await run(ctx, path, options, request.signal, undefined, warnings);
    const { body, contentType } = formatResult(result, options.responseFormat, { words: options.words, segments: options.segments, logprobs: options.logprobs, warnings });
    if (ctx.verbose) {
      ctx.log(`transcribed ${result.duration.toFixed(1)} s (${upload.file.bytes} bytes) in ${Math.round(performance.now() - started)} ms, ${options.responseFormat}`);
    }
    const headers: Record<string, string> = { "content-type": contentType, "server-timing": serverTiming(result) };
    if (warnings.length) headers["x-sona-warning"] = warnings.join("; ");
    return new Response(body, { headers });
  } finally {
    if (!streaming) {
      await upload?.dispose();
      ticket?.cancel();
      lease?.release();
    }
  }
}

function queueTimeoutError(ctx: ServerContext): SonaError {
  return new SonaError("busy", `server is busy: no slot came free within ${Math.round(ctx.gate.queueTimeoutMs / 1000)} s in the queue (sona serve --queue-timeout)`);
}

/** The model the idle timer unloaded is loaded again, with its options, under the caller's lease. */
async function reloadAfterIdle(ctx: ServerContext): Promise<void> {
  const idle = ctx.idleUnloaded;
  if (!idle) throw noModelError();
  const options = { gpuDevice: idle.gpuDevice, noGpu: idle.noGpu };
  const started = performance.now();
  try {
    await ctx.engine.load(idle.path, options);
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw new SonaError("no_model", `the model ${basename(idle.path)} was unloaded while idle and could not be loaded again: ${why}`, { cause: err });
  }
  ctx.recordLoad(idle.path, options);
  ctx.log(`loaded model ${basename(idle.path)} again after the idle unload in ${Math.round(performance.now() - started)} ms`);
}

/** Decode + inference, aborted by the client going away or by shutdown running out of patience. */
async function run(
  ctx: ServerContext,
  path: string,
  options: TranscribeOptions,
  clientSignal: AbortSignal,
  emit?: (event: StreamEvent) => void,
  warnings?: string[],
): Promise<TranscriptResult> {
  const signal = AbortSignal.any([clientSignal, ctx.shutdown.signal]);
  const job = new RunningJob();
  ctx.jobs.add(job);
  const onEvent = (event: StreamEvent) => {
    if (event.type === "progress") job.report(event.progress);
    emit?.(event);
  };
  try {
    const onAudio = (audio: { warnings: string[] }) => {
      warnings?.push(...audio.warnings);
      if (ctx.verbose) for (const w of audio.warnings) ctx.log(`warning: ${w}`);
    };
    return await transcribeFile(ctx.engine, path, options, { signal, onEvent, onAudio });
  } catch (err) {
    if (ctx.shutdown.signal.aborted && !clientSignal.aborted) {
      throw new SonaError("aborted", "transcription aborted: the server is shutting down", { status: 503, cause: err });
    }
    throw ourFault(err);
  } finally {
    ctx.jobs.delete(job);
  }
}

/**
 * The audio layer reports a file it cannot open, or an ffmpeg it cannot start, as invalid_audio:
 * right for the CLI, where the file is the user's. Here the file is our own temp file and ffmpeg
 * our own, so an operating-system error behind it (EACCES, EMFILE, ENOENT, ...) is a 500.
 */
function ourFault(err: unknown): unknown {
  const cause = err instanceof SonaError && err.code === "invalid_audio" ? (err.cause as NodeJS.ErrnoException | undefined) : undefined;
  if (typeof cause?.code !== "string") return err;
  return new SonaError("internal_error", `server-side failure: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
}

/** Server-Timing lets clients (and bench/server-overhead.ts) split a request's time. */
function serverTiming(result: TranscriptResult): string {
  const t = result.timings;
  const parts = [`decode;dur=${(t.decodeAudioMs ?? 0).toFixed(1)}`, `inference;dur=${t.inferenceMs.toFixed(1)}`];
  if (t.detectLanguageMs !== undefined) parts.push(`language;dur=${t.detectLanguageMs.toFixed(1)}`);
  return parts.join(", ");
}

export function describe(err: unknown): string {
  return err instanceof Error ? (err.stack ?? err.message) : String(err);
}

export function transcriptionRoutes(ctx: ServerContext) {
  return new Elysia({ name: "sona-transcriptions" }).post(
    "/v1/audio/transcriptions",
    ({ request, server }) => handleTranscription(ctx, { request, server }),
    { parse: "none", detail: DOCS.transcriptions },
  );
}
