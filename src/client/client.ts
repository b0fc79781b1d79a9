// SonaClient: the HTTP API of one running server, for Bun and Node alike.
import { errorFromBody, SonaClientError } from "./errors.ts";
import { isNetworkError, lines, readText, send, type RawRequest, type RawResponse } from "./http.ts";
import { type LiveOptions, type LiveTranscription, openLive } from "./live.ts";
import { type AudioInput, formEntries, multipart } from "./multipart.ts";
import type {
  ErrorEvent, HealthResponse, LoadOptions, LoadResponse, ModelList, ReadyResponse, StreamEvent,
  TranscribeFormatOptions, TranscribeOptions, TranscriptionJson, VerboseTranscription,
} from "./types.ts";

export interface SonaClientOptions {
  /**
   * Called before each request and after a connection failure (with how long a dying process may
   * take); throws when the server's process is gone. spawnSona's client sets it.
   */
  checkProcess?: (waitMs: number) => Promise<void>;
}

const TRANSCRIPTIONS = "/v1/audio/transcriptions";

export class SonaClient {
  readonly baseUrl: string;
  private readonly url: URL;
  private readonly checkProcess: (waitMs: number) => Promise<void>;

  /** `baseUrl`: e.g. http://127.0.0.1:PORT (what spawnSona passes). */
  constructor(baseUrl: string, options: SonaClientOptions = {}) {
    this.url = new URL(baseUrl);
    if (this.url.protocol !== "http:") throw new TypeError(`expected an http:// URL, got ${baseUrl}`);
    this.baseUrl = this.url.origin;
    this.checkProcess = options.checkProcess ?? (async () => {});
  }

  /** GET /health: {"status":"ok", "slots": {busy, total, queued}}. */
  health(): Promise<HealthResponse> {
    return this.json("GET", "/health");
  }

  /** GET /ready: ready (or unloaded_idle) with the model's name, or not_ready (a 503 answer, returned, not thrown). */
  ready(): Promise<ReadyResponse> {
    return this.json("GET", "/ready", undefined, [503]);
  }

  /** POST /v1/models/load: a model file or name. Loading the loaded model again is a no-op. */
  loadModel(pathOrName: string, options: LoadOptions = {}): Promise<LoadResponse> {
    const body: Record<string, unknown> = { path: pathOrName };
    if (options.gpuDevice !== undefined) body.gpu_device = options.gpuDevice;
    if (options.noGpu !== undefined) body.no_gpu = options.noGpu;
    return this.json("POST", "/v1/models/load", body);
  }

  /** DELETE /v1/models (idempotent). */
  unloadModel(): Promise<{ status: "unloaded" }> {
    return this.json("DELETE", "/v1/models");
  }

  /** GET /v1/models: the loaded model, if any. */
  models(): Promise<ModelList> {
    return this.json("GET", "/v1/models");
  }

  /** POST /v1/audio/transcriptions: json (the default) and verbose_json parsed, text/srt/vtt as strings. */
  transcribe(file: AudioInput, options?: TranscribeOptions & { responseFormat?: "json" }): Promise<TranscriptionJson>;
  transcribe(file: AudioInput, options: TranscribeOptions & { responseFormat: "verbose_json" }): Promise<VerboseTranscription>;
  transcribe(file: AudioInput, options: TranscribeOptions & { responseFormat: "text" | "srt" | "vtt" }): Promise<string>;
  transcribe(file: AudioInput, options?: TranscribeFormatOptions): Promise<TranscriptionJson | VerboseTranscription | string>;
  async transcribe(file: AudioInput, options: TranscribeFormatOptions = {}): Promise<TranscriptionJson | VerboseTranscription | string> {
    const res = await this.upload(file, options, false);
    const text = await this.read(res);
    if (res.status >= 400) throw errorFromBody(res.status, text, res.headers["retry-after"]);
    return String(res.headers["content-type"] ?? "").startsWith("application/json") ? JSON.parse(text) : text;
  }

  /**
   * The transcription as NDJSON events, each yielded as it arrives: progress and segments, then
   * one result. A stream `error` event, or a stream that ends without a result, throws a
   * SonaClientError. Leaving the loop early (break, return, throw) disconnects, and the server
   * aborts the transcription.
   */
  async *transcribeStream(file: AudioInput, options: TranscribeOptions = {}): AsyncGenerator<StreamEvent, void, undefined> {
    const res = await this.upload(file, options, true);
    try {
      if (res.status >= 400) throw errorFromBody(res.status, await readText(res), res.headers["retry-after"]);
      const it = lines(res);
      for (;;) {
        let next: IteratorResult<string>;
        try {
          next = await it.next();
        } catch (err) {
          if (options.signal?.aborted) throw new SonaClientError(null, "aborted", "the request was aborted");
          break; // the connection broke: reported as a truncated stream below
        }
        if (next.done) break;
        const line = next.value.trim();
        if (!line) continue;
        const event = JSON.parse(line) as StreamEvent | ErrorEvent;
        if (event.type === "error") throw new SonaClientError(res.status, event.code || "internal_error", event.message);
        yield event;
        if (event.type === "result") return;
      }
      await this.checkProcess(1000);
      throw new SonaClientError(res.status, "stream_truncated", "the event stream ended without a result or error event");
    } finally {
      res.close();
    }
  }

  /**
   * GET /v1/audio/live: a live session, resolved once the server is ready. `send()` 16 kHz mono f32
   * samples, iterate the events (partial, segment, error, stopped), `stop()` to end. A refused
   * upgrade throws busy (429) or no_model (503), as /ready tells.
   */
  live(options: LiveOptions = {}): Promise<LiveTranscription> {
    return openLive(this.baseUrl, options, async () => {
      const ready = await this.ready().catch(() => null);
      if (ready && ready.status !== "ready") return new SonaClientError(503, "no_model", "no model loaded (POST /v1/models/load first)");
      return new SonaClientError(429, "busy", "server is busy with another transcription", { retryAfter: 1 });
    });
  }

  // -- plumbing ----------------------------------------------------------------------------------

  private async upload(file: AudioInput, options: TranscribeFormatOptions, stream: boolean): Promise<RawResponse> {
    const fields = formEntries({
      response_format: options.responseFormat ?? "json",
      language: options.language,
      prompt: options.prompt,
      translate: options.translate || undefined,
      word_timestamps: options.wordTimestamps || undefined,
      temperature: options.temperature,
      stream: stream || undefined,
      ...options.fields,
    });
    const body = await multipart(fields, file);
    const accept = stream ? "application/x-ndjson" : "application/json, text/plain";
    return this.send({ method: "POST", path: TRANSCRIPTIONS, headers: { accept, "content-type": body.contentType }, body, signal: options.signal });
  }

  private async json<T>(method: string, path: string, body?: unknown, acceptStatus: number[] = []): Promise<T> {
    const headers: Record<string, string> = { accept: "application/json" };
    let bytes: Uint8Array | undefined;
    if (body !== undefined) {
      bytes = new TextEncoder().encode(JSON.stringify(body));
      headers["content-type"] = "application/json";
    }
    const res = await this.send({ method, path, headers, body: bytes });
    const text = await this.read(res);
    if (res.status >= 400 && !acceptStatus.includes(res.status)) throw errorFromBody(res.status, text, res.headers["retry-after"]);
    return JSON.parse(text) as T;
  }

  private async send(req: RawRequest): Promise<RawResponse> {
    await this.checkProcess(0);
    try {
      return await send(this.url, req);
    } catch (err) {
      throw await this.networkFailure(err, `${req.method} ${this.baseUrl}${req.path}`);
    }
  }

  private async read(res: RawResponse): Promise<string> {
    try {
      return await readText(res);
    } catch (err) {
      throw await this.networkFailure(err, "reading the answer");
    } finally {
      res.close();
    }
  }

  /** A dead server explains a socket error better than the socket error does. */
  private async networkFailure(err: unknown, what: string): Promise<unknown> {
    if (err instanceof SonaClientError || !isNetworkError(err)) return err;
    await this.checkProcess(1000);
    return new SonaClientError(null, "connection_failed", `${what} failed: ${(err as Error).message}`, { cause: err });
  }
}
