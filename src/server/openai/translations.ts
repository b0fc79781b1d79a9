// OpenAI's /v1/audio/translations is Sona's transcription with translate=true: the same native
// handler, fields, limits, errors and streams. Nothing is re-implemented here.
import { Elysia } from "elysia";
import type { ServerContext } from "../context.ts";
import { DOCS } from "../openapi.ts";
import { handleTranscription } from "../routes/transcriptions.ts";

export function translationRoutes(ctx: ServerContext) {
  return new Elysia({ name: "sona-openai-translations" }).post(
    "/v1/audio/translations",
    ({ request, server }) => handleTranscription(ctx, { request, server, translate: true }),
    { parse: "none", detail: DOCS.translations },
  );
}
