// A streamed transcription as an HTTP response: NDJSON (Sona's native stream) or SSE (OpenAI's),
// with the same events in the same order. Bun sends the status line and headers only with the
// first body chunk, so the first event goes out at once (before the audio is even decoded):
// progress 0, what whisper.cpp reports first anyway (SSE carries it as a comment line, which every
// SSE parser skips). After the client disconnects nothing more is written. Events wait in an outbox
// until the connection asks for more (the stream's pull), so a client that stops reading is seen:
// with events waiting and no read for `idleTimeoutMs`, the job is aborted and the connection
// dropped, instead of a transcription running for nobody while its events pile up in memory.
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
  /** drop a client that reads nothing for this long while events wait (0 or absent: never) */
  idleTimeoutMs?: number;
  /** the client stopped reading and was dropped, for the server log */
  onStalled?: () => void;
}

const encoder = new TextEncoder();

export function eventStreamResponse(opts: EventStreamOptions): Response {
  const cancelled = new AbortController();
  const gone = AbortSignal.any([opts.clientSignal, cancelled.signal]);
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  let open = true;
  let finished = false;
  let lastProgress = -1;
  let outbox: Uint8Array[] = [];
  let reading: (() => void) | undefined; // a pull waiting for the next event
  let stallTimer: Timer | undefined;

  const end = () => {
    if (!open) return;
    open = false;
    clearTimeout(stallTimer);
    try {
      controller.close();
    } catch {
      // already closed by a cancel
    }
  };
  // hands the outbox to the connection; the stall clock runs only while events wait unread
  const deliver = () => {
    if (!open) return;
    if (outbox.length && reading) {
      clearTimeout(stallTimer);
      stallTimer = undefined;
      try {
        controller.enqueue(outbox.length === 1 ? outbox[0]! : Buffer.concat(outbox));
      } catch {
        open = false; // the consumer went away between our check and the write
      }
      outbox = [];
      const next = reading;
      reading = undefined;
      next();
    }
    if (outbox.length === 0 && finished) return end();
    if (outbox.length && !stallTimer && (opts.idleTimeoutMs ?? 0) > 0) stallTimer = setTimeout(stalled, opts.idleTimeoutMs);
  };
  const stalled = () => {
    if (!open) return;
    open = false;
    opts.onStalled?.();
    cancelled.abort();
    outbox = [];
    // errored, Bun drops the connection; without a reason, as Bun would print one with its stack
    // (onStalled has logged the one line)
    controller.error();
  };
  const write = (chunk: string) => {
    if (!open || gone.aborted) return;
    outbox.push(encoder.encode(chunk));
    deliver();
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

  const body = new ReadableStream<Uint8Array>(
    {
      start(c) {
        controller = c;
        emit({ type: "progress", progress: 0 });
        work().catch((err) => opts.onInternalError?.(err));
      },
      // called when the connection wants more; resolves once something was handed over
      pull() {
        return new Promise<void>((resolve) => {
          reading = resolve;
          deliver();
          if (!open) resolve();
        });
      },
      cancel() {
        open = false;
        clearTimeout(stallTimer);
        reading?.();
        cancelled.abort();
      },
    },
    // nothing is queued inside the stream itself: pull() is called only for a pending read
    { highWaterMark: 0 },
  );

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
      finished = true;
      deliver(); // closes once the outbox is read
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
