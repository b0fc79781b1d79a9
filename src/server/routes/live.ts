// GET /v1/audio/live: the original Sona's live protocol. A first text frame
// {"type":"start", language?, prompt?, vad_model?, partial_mode?, partial_interval_ms?}, then
// binary frames of 16 kHz mono little-endian f32, then {"type":"stop"}; events ready, partial,
// segment {start, end, text}, stopped, error {code, message}. Bad input gets an error event and
// the session goes on; only a failure of the engine itself ends it.
import { SonaError } from "../../errors.ts";
import { DEFAULT_TURN_OPTIONS, LiveSession, PARTIAL_INTERVAL, type LiveEvent, type PartialMode } from "../../live/index.ts";
import { parseOptions } from "../../options.ts";
import { resolveVadModel } from "../../vad/model.ts";
import type { ServerContext } from "../context.ts";
import { binaryFrame, jsonFrame, liveSocket, MAX_FRAME_BYTES, type LiveProtocol, type SocketIO } from "../live-socket.ts";

/** the original's VAD silence: 600 ms ends an utterance */
const LIVE_SILENCE_MS = 600;
const START_FIELDS = new Set(["type", "language", "prompt", "vad_model", "partial_mode", "partial_interval_ms"]);

export function liveRoutes(ctx: ServerContext) {
  return liveSocket(ctx, "sona-live", "/v1/audio/live", (io) => new OriginalLive(ctx, io));
}

class OriginalLive implements LiveProtocol {
  private session?: LiveSession;
  private starting = false;
  private stopping = false;

  constructor(
    private readonly ctx: ServerContext,
    private readonly io: SocketIO,
  ) {}

  message(data: unknown): void {
    const bytes = binaryFrame(data);
    if (bytes) return this.audio(bytes);
    const frame = jsonFrame(data);
    if ("problem" in frame) return this.error(new SonaError("invalid_request", `${frame.problem} (start, stop)`));
    const { event } = frame;
    if (event.type === "start") return void this.start(event);
    if (event.type === "stop") return void this.stop();
    this.error(new SonaError("invalid_request", `unknown message type ${JSON.stringify(String(event.type ?? "")).slice(0, 60)} (start, stop)`));
  }

  end(): void {
    this.session?.close();
  }

  shutdown(): void {
    void this.stop();
  }

  private audio(bytes: Uint8Array): void {
    if (!this.session) return this.error(new SonaError("invalid_request", this.starting ? "audio before the session is ready: wait for the ready event" : "audio before the start message"));
    if (bytes.byteLength > MAX_FRAME_BYTES) return this.error(new SonaError("too_large", `an audio frame is at most ${MAX_FRAME_BYTES} bytes; this one has ${bytes.byteLength}`));
    if (bytes.byteLength % 4 !== 0) return this.error(new SonaError("invalid_audio", `audio frames are little-endian f32 samples (4 bytes each); this one has ${bytes.byteLength} bytes`));
    // a copy: the frame's bytes need not be 4-byte aligned
    const samples = new Float32Array(bytes.slice().buffer);
    this.session.push(samples);
  }

  private async start(event: Record<string, unknown>): Promise<void> {
    if (this.session || this.starting) return this.error(new SonaError("invalid_request", "the session has already started"));
    this.starting = true;
    try {
      const unknown = Object.keys(event).filter((k) => !START_FIELDS.has(k));
      if (unknown.length) throw new SonaError("invalid_request", `invalid start message: unknown field ${unknown[0]}`, { param: unknown[0] });
      const text = (name: string) => {
        const v = event[name];
        if (v !== undefined && v !== null && typeof v !== "string") throw new SonaError("invalid_request", `invalid start message: ${name} must be a string`, { param: name });
        return (v as string | null | undefined) ?? undefined;
      };
      const mode = (text("partial_mode") ?? "fixed") as PartialMode;
      if (!["fixed", "auto", "off"].includes(mode)) throw new SonaError("invalid_request", `invalid start message: partial_mode must be fixed, auto or off`, { param: "partial_mode" });
      const interval = event.partial_interval_ms ?? PARTIAL_INTERVAL.defaultMs;
      if (typeof interval !== "number" || !Number.isFinite(interval)) {
        throw new SonaError("invalid_request", "invalid start message: partial_interval_ms must be a number", { param: "partial_interval_ms" });
      }
      // no temperature fallback: its ladder can decode an utterance six times over, which live
      // transcription cannot afford (a fallback-worthy utterance is as likely garbled by it)
      const decode = parseOptions({ language: text("language"), prompt: text("prompt"), no_fallback: "true" });
      let vad;
      try {
        vad = await resolveVadModel(text("vad_model"));
      } catch (err) {
        throw new SonaError("invalid_request", `failed to load VAD model: ${err instanceof Error ? err.message : String(err)}`, { param: "vad_model" });
      }
      if (this.stopping) return;
      this.session = new LiveSession({
        engine: this.ctx.engine,
        vadModelPath: vad.path,
        decode: { ...decode, vad: undefined },
        turns: { ...DEFAULT_TURN_OPTIONS, silenceMs: LIVE_SILENCE_MS },
        partialMode: mode,
        // the original clamps rather than refuses
        partialIntervalMs: Math.min(PARTIAL_INTERVAL.maxMs, Math.max(PARTIAL_INTERVAL.minMs, interval)),
        onEvent: (e) => this.event(e),
      });
      this.io.send({ type: "ready" });
    } catch (err) {
      this.error(err instanceof SonaError ? err : new SonaError("internal_error", String(err)));
    } finally {
      this.starting = false;
    }
  }

  private async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    await this.session?.finish();
    this.io.send({ type: "stopped" });
    this.session?.close();
    this.io.close(1000, "stopped");
  }

  private event(e: LiveEvent): void {
    if (e.type === "partial") this.io.send({ type: "partial", start: e.start, end: e.end, text: e.text });
    else if (e.type === "utterance") this.io.send({ type: "segment", start: e.start, end: e.end, text: e.text });
    else if (e.type === "failed" || e.type === "error") this.error(e.error);
    // speech_started, speech_stopped, committed and cleared have no frame in the original's protocol
  }

  private error(err: SonaError): void {
    this.io.send({ type: "error", code: err.code, message: err.message });
  }
}
