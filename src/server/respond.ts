// Responses the server builds by hand, so every route, every error and every framework failure
// (unknown route, malformed body) answers in one shape: {"error":{code,message,type,param}}.
import { isSonaError, SonaError } from "../errors.ts";
import { discardRest } from "./discard.ts";
import { UNKNOWN_WAIT_MS } from "./eta.ts";

const JSON_TYPE = "application/json";

export function json(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { "content-type": JSON_TYPE, ...headers } });
}

/**
 * The error as a response. OpenAI's SDKs retry 408/409/429/5xx on their own; only `busy` is worth
 * retrying here (a failed transcription fails the same way again, and no model stays missing
 * until someone loads one), so every other error says `x-should-retry: false`. A busy answer says
 * when to come back (`waitMs`, the running job's estimate): `Retry-After` in whole seconds, and
 * `retry-after-ms`, which the OpenAI SDKs read first.
 */
export function errorResponse(err: SonaError, waitMs = UNKNOWN_WAIT_MS): Response {
  const headers: Record<string, string> =
    err.code === "busy"
      ? { "retry-after": String(Math.max(1, Math.ceil(waitMs / 1000))), "retry-after-ms": String(Math.round(waitMs)) }
      : { "x-should-retry": "false" };
  return json(err.toJSON(), err.status, headers);
}

/** Anything thrown -> SonaError; unexpected errors become internal_error and are logged by the caller. */
export function asSonaError(err: unknown): SonaError {
  if (isSonaError(err)) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new SonaError("internal_error", `internal error: ${message}`, { cause: err });
}

export const busyError = () => new SonaError("busy", "server is busy with another transcription");
export const noModelError = () => new SonaError("no_model", "no model loaded (POST /v1/models/load first)");

/** Reads a small body (JSON requests) without trusting Content-Length or buffering more than `limit`. */
export async function readSmallBody(request: Request, limit: number): Promise<string> {
  const declared = Number(request.headers.get("content-length") ?? "0");
  if (declared > limit) throw new SonaError("too_large", `request body is larger than ${limit} bytes`);
  if (!request.body) return "";
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return Buffer.concat(chunks).toString("utf8");
    total += value.byteLength;
    if (total > limit) {
      await discardRest(reader);
      throw new SonaError("too_large", `request body is larger than ${limit} bytes`);
    }
    chunks.push(value);
  }
}
