// A streamed transcription as an HTTP response: NDJSON (Sona's native stream) or SSE (OpenAI's),
// with the same events in the same order. Bun sends the status line and headers only with the
// first body chunk, so the first event goes out at once (before the audio is even decoded):
// progress 0, what whisper.cpp reports first anyway (SSE carries it as a comment line, which every
// SSE parser skips). After the client disconnects nothing more is written.
import type { TranscriptResult } from "../engine/index.ts";
import { isSonaError } from "../errors.ts";
import { NDJSON_CONTENT_TYPE, ndjsonEvent, SSE_CONTENT_TYPE, sseEvent, type StreamEvent } from "../format/stream.ts";
import { asSonaError } from "./respond.ts";

export type StreamDialect = "ndjson" | "sse";

export interface EventStreamOptions {
  dialect: StreamDialect;
  /** NDJSON segment events carry their words */
  words?: boolean;
  /** SSE: each segment also goes out as OpenAI's transcript.text.segment (diarized_json) */
  diarized?: boolean;
  /** segment and text events carry their tokens' logprobs */
  logprobs?: boolean;
  /** aborts when the client goes away (request.signal); the stream's own cancel counts too */
  clientSignal: AbortSignal;
  /** runs the job; `signal` aborts on disconnect (and whatever else the caller folds in) */
  run: (emit: (event: StreamEvent) => void, signal: AbortSignal) => Promise<TranscriptResult>;
  /** called once the job has settled, before the final event is sent (release the gate, remove the temp file) */
  finally: () => void | Promise<void>;
  /** unexpected failures, for the server log */
  onInternalError?: (err: unknown) => void;
}

const encoder = new TextEncoder();

export function eventStreamResponse(opts: EventStreamOptions): Response {
  const cancelled = new AbortController();
  const gone = AbortSignal.any([opts.clientSignal, cancelled.signal]);
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  let open = true;
  let lastProgress = -1;

  const write = (chunk: string) => {
    if (!open || gone.aborted) return;
    try {
      controller.enqueue(encoder.encode(chunk));
    } catch {
      open = false; // the consumer went away between our check and the write
    }
  };
  const encode = (event: StreamEvent) =>
    opts.dialect === "sse" ? sseEvent(event, { logprobs: opts.logprobs, diarized: opts.diarized }) : ndjsonEvent(event, { words: opts.words, logprobs: opts.logprobs });
  const emit = (event: StreamEvent) => {
    if (event.type === "progress") {
      // the stream opened with 0 and whisper.cpp may repeat a value: send only rising percentages
      const p = Math.round(event.progress);
      if (p <= lastProgress) return;
      lastProgress = p;
    }
    write(encode(event));
  };

  const body = new ReadableStream<Uint8Array>({
    start(c) {
      controller = c;
      emit({ type: "progress", progress: 0 });
      work().catch((err) => opts.onInternalError?.(err));
    },
    cancel() {
      open = false;
      cancelled.abort();
    },
  });

  async function work() {
    let last: StreamEvent | undefined;
    try {
      last = { type: "result", result: await opts.run(emit, gone) };
    } catch (err) {
      if (!gone.aborted) {
        const e = asSonaError(err);
        if (!isSonaError(err)) opts.onInternalError?.(err);
        last = { type: "error", error: { code: e.code, message: e.message, type: e.type, param: e.param } };
      }
    }
    // free the server before the last event goes out: a client that sends its next request as
    // soon as it sees the result must not find the gate still taken
    try {
      await opts.finally();
    } finally {
      if (last) emit(last);
      if (open) {
        open = false;
        try {
          controller.close();
        } catch {
          // already closed by a cancel
        }
      }
    }
  }

  const contentType = opts.dialect === "sse" ? SSE_CONTENT_TYPE : NDJSON_CONTENT_TYPE;
  return new Response(body, {
    headers: {
      "content-type": contentType,
      "cache-control": "no-cache",
      // keeps reverse proxies (nginx) from buffering the events
      "x-accel-buffering": "no",
    },
  });
}
