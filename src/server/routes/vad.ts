// POST /v1/audio/vad: the Silero VAD alone, on an uploaded file: {model, duration, speech_duration,
// spans}. It runs on the engine's worker, so it takes the gate like a transcription (a second
// request gets 429), but it needs no whisper model loaded.
import type { Server } from "bun";
import { Elysia } from "elysia";
import { speechJson } from "../../format/speech.ts";
import { parseVadParams } from "../../options.ts";
import { detectSpeechInFile } from "../../transcribe.ts";
import type { ServerContext } from "../context.ts";
import { DOCS } from "../openapi.ts";
import { busyError, json } from "../respond.ts";
import { receiveUpload, type Upload } from "../upload.ts";

export async function handleVad(ctx: ServerContext, request: Request, server: Server<unknown> | null): Promise<Response> {
  // the gate's rules are a transcription's: a cancelled holder is waited for, briefly
  const lease = await ctx.gate.tryAcquireSoon(undefined, request.signal);
  if (!lease) throw busyError();
  request.signal.addEventListener("abort", () => lease.leaving(), { once: true });
  let upload: Upload | undefined;
  try {
    server?.timeout(request, 0);
    upload = await receiveUpload(request, { maxFileBytes: ctx.maxUploadBytes, tmpDir: ctx.tmpDir, signal: request.signal, idleTimeoutMs: ctx.idleTimeoutMs });
    const vad = parseVadParams(upload.fields);
    const signal = AbortSignal.any([request.signal, ctx.shutdown.signal]);
    const report = await detectSpeechInFile(ctx.engine, upload.file.path, vad, signal, ctx.maxAudioDurationSec);
    return json(speechJson(report), 200, { "server-timing": `vad;dur=${report.vadMs.toFixed(1)}` });
  } finally {
    await upload?.dispose();
    lease.release();
  }
}

export function vadRoutes(ctx: ServerContext) {
  return new Elysia({ name: "sona-vad" }).post("/v1/audio/vad", ({ request, server }) => handleVad(ctx, request, server), {
    parse: "none",
    detail: DOCS.vad,
  });
}
