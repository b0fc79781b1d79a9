// HTTP/1.1 over node:http, in Bun and Node alike. Not fetch, for two measured reasons:
// - Bun's fetch sends even 127.0.0.1 requests through $http_proxy (a corporate proxy intercepting
//   localhost broke the original's clients); node:http never consults proxy variables.
// - Node's fetch (undici) gives up on a response whose headers take over 300 s, and a non-streamed
//   transcription sends its headers only when it is done.
// A fresh connection per request (agent: false): nothing pooled to leak or to keep a process alive.
import { type IncomingMessage, request as httpRequest } from "node:http";
import { abortError, SonaClientError } from "./errors.ts";
import type { Multipart } from "./multipart.ts";

export interface RawRequest {
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: Uint8Array | Multipart;
  signal?: AbortSignal;
}

export interface RawResponse {
  status: number;
  headers: IncomingMessage["headers"];
  /** the body as it arrives */
  body: IncomingMessage;
  /** closes the connection (the server then aborts a running transcription) */
  close(): void;
}

/** Sends a request; resolves with the response as soon as its headers are in. */
export function send(base: URL, req: RawRequest): Promise<RawResponse> {
  const { signal } = req;
  if (signal?.aborted) return Promise.reject(abortError(signal));
  return new Promise((resolve, reject) => {
    const body = req.body;
    const length = body === undefined ? 0 : body instanceof Uint8Array ? body.byteLength : body.size;
    const headers: Record<string, string> = { ...req.headers };
    if (body !== undefined) headers["content-length"] = String(length);
    const r = httpRequest({ host: base.hostname, port: base.port || 80, method: req.method, path: req.path, headers, agent: false });
    let settled = false;
    const onAbort = () => {
      r.destroy();
      if (!settled) {
        settled = true;
        reject(abortError(signal!));
      }
    };
    signal?.addEventListener("abort", onAbort, { once: true });
    r.on("response", (res) => {
      settled = true;
      const close = () => {
        signal?.removeEventListener("abort", onAbort);
        res.destroy();
        r.destroy();
      };
      res.on("end", () => signal?.removeEventListener("abort", onAbort));
      resolve({ status: res.statusCode ?? 0, headers: res.headers, body: res, close });
    });
    r.on("error", (err) => {
      if (settled) return; // an upload cut short after the answer came (429 before the body was read)
      settled = true;
      signal?.removeEventListener("abort", onAbort);
      reject(err);
    });
    void writeBody(r, body).catch((err) => r.destroy(err as Error));
  });
}

async function writeBody(r: ReturnType<typeof httpRequest>, body: RawRequest["body"]): Promise<void> {
  if (body === undefined) return void r.end();
  if (body instanceof Uint8Array) return void r.end(body);
  for await (const chunk of body.chunks()) {
    if (r.destroyed) return;
    if (!r.write(chunk)) await new Promise<void>((ok) => {
      const done = () => {
        r.off("drain", done);
        r.off("close", done);
        ok();
      };
      r.on("drain", done);
      r.on("close", done);
    });
  }
  r.end();
}

/** The whole body as text. */
export async function readText(res: RawResponse): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of res.body) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

/** The body's lines as they arrive ("\n"-separated; a final unterminated line is yielded too). */
export async function* lines(res: RawResponse): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  let pending = "";
  for await (const chunk of res.body) {
    pending += decoder.decode(chunk as Uint8Array, { stream: true });
    let nl: number;
    while ((nl = pending.indexOf("\n")) >= 0) {
      yield pending.slice(0, nl);
      pending = pending.slice(nl + 1);
    }
  }
  pending += decoder.decode();
  if (pending) yield pending;
}

/** A socket-level failure (refused, reset, hung up), as opposed to an HTTP answer. */
export function isNetworkError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === "string" && /^(ECONNREFUSED|ECONNRESET|EPIPE|ECONNABORTED|ETIMEDOUT|EHOSTUNREACH|ENOTCONN|UND_ERR_SOCKET)$/.test(code)
    || (err instanceof Error && /socket hang up|aborted|ECONNRESET|ECONNREFUSED/i.test(err.message) && !(err instanceof SonaClientError));
}
