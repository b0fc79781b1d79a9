// SonaClient.live(): the /v1/audio/live protocol (docs/API.md, "Live transcription") as an object:
// send(pcm) 16 kHz mono f32 samples, iterate the server's events, stop() for the last segment.
// Uses the runtime's WebSocket (Bun; Node 22 and later).
import { SonaClientError } from "./errors.ts";

export interface LiveOptions {
  language?: string;
  prompt?: string;
  /** a Silero model path or name; default: the embedded one */
  vadModel?: string;
  partialMode?: "fixed" | "auto" | "off";
  /** 300..10000 ms of audio between partials (default 700) */
  partialIntervalMs?: number;
}

export type LiveServerEvent =
  | { type: "ready" }
  | { type: "partial"; start: number; end: number; text: string }
  | { type: "segment"; start: number; end: number; text: string }
  | { type: "stopped" }
  | { type: "error"; code: string; message: string };

export class LiveTranscription implements AsyncIterable<LiveServerEvent> {
  private readonly queue: LiveServerEvent[] = [];
  private wake?: () => void;
  private ended = false;
  private readonly closed: Promise<void>;

  /** @internal use SonaClient.live() */
  constructor(private readonly ws: WebSocket) {
    ws.binaryType = "arraybuffer";
    ws.addEventListener("message", (m) => this.push(JSON.parse(String(m.data)) as LiveServerEvent));
    this.closed = new Promise((resolve) =>
      ws.addEventListener("close", () => {
        this.ended = true;
        this.wake?.();
        resolve();
      }),
    );
  }

  /** 16 kHz mono samples (any length). */
  send(pcm: Float32Array): void {
    if (this.ws.readyState === 1) this.ws.send(pcm as Float32Array<ArrayBuffer>);
  }

  /** Ends the stream: the open utterance's segment and `stopped` still arrive; resolves when the socket closes. */
  async stop(): Promise<void> {
    if (this.ws.readyState === 1) this.ws.send(JSON.stringify({ type: "stop" }));
    await this.closed;
  }

  /** Drops the session at once (the server frees its gate). */
  close(): void {
    this.ws.close();
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<LiveServerEvent, void, undefined> {
    for (;;) {
      const next = this.queue.shift();
      if (next) {
        yield next;
        continue;
      }
      if (this.ended) return;
      await new Promise<void>((resolve) => (this.wake = resolve));
      this.wake = undefined;
    }
  }

  private push(e: LiveServerEvent): void {
    this.queue.push(e);
    this.wake?.();
  }
}

/** Opens the socket and sends start; resolves after `ready`, rejects on the server's error. */
export async function openLive(baseUrl: string, options: LiveOptions, refused: () => Promise<SonaClientError>): Promise<LiveTranscription> {
  if (typeof WebSocket !== "function") throw new SonaClientError(null, "unsupported", "live transcription needs a WebSocket (Bun, or Node 22 and later)");
  const ws = new WebSocket(`${baseUrl.replace(/^http/, "ws")}/v1/audio/live`);
  const live = new LiveTranscription(ws);
  const opened = await new Promise<boolean>((resolve) => {
    ws.addEventListener("open", () => resolve(true), { once: true });
    ws.addEventListener("error", () => resolve(false), { once: true });
  });
  if (!opened) throw await refused();
  const start: Record<string, unknown> = { type: "start" };
  if (options.language !== undefined) start.language = options.language;
  if (options.prompt !== undefined) start.prompt = options.prompt;
  if (options.vadModel !== undefined) start.vad_model = options.vadModel;
  if (options.partialMode !== undefined) start.partial_mode = options.partialMode;
  if (options.partialIntervalMs !== undefined) start.partial_interval_ms = options.partialIntervalMs;
  ws.send(JSON.stringify(start));
  const it = live[Symbol.asyncIterator]();
  const first = await it.next();
  if (first.done) throw new SonaClientError(null, "connection_failed", "the live session closed before it was ready");
  if (first.value.type === "error") {
    live.close();
    throw new SonaClientError(null, first.value.code, first.value.message);
  }
  return live;
}
