// GET /v1/realtime?intent=transcription (or ?model=...): OpenAI's Realtime transcription session,
// translated to and from the live engine (src/live). Client events: session.update (GA shape) or
// transcription_session.update (beta), input_audio_buffer.append/commit/clear. Server events:
// session.created/updated, input_audio_buffer.*, conversation.item.input_audio_transcription.*,
// error. pcm16 at 24 kHz (OpenAI's only rate) is resampled to 16 kHz; 16 kHz is taken as is.
import { Resampler } from "../../audio/resample.ts";
import { SonaError } from "../../errors.ts";
import { DEFAULT_TURN_OPTIONS, LiveSession, type LiveEvent } from "../../live/index.ts";
import { parseOptions } from "../../options.ts";
import { embeddedVadModel } from "../../vad/model.ts";
import type { ServerContext } from "../context.ts";
import { binaryFrame, jsonFrame, liveSocket, MAX_FRAME_BYTES, type LiveProtocol, type SocketIO } from "../live-socket.ts";
import { parseSessionUpdate, sessionObject, type RealtimeConfig } from "./realtime-session.ts";

export function realtimeRoutes(ctx: ServerContext) {
  return liveSocket(ctx, "sona-realtime", "/v1/realtime", (io) => new RealtimeTranscription(ctx, io), (query) => {
    if (query.intent !== undefined && query.intent !== "transcription") {
      throw new SonaError("invalid_request", `only transcription sessions are served here (intent=transcription); got intent=${query.intent.slice(0, 40)}`, { param: "intent" });
    }
  });
}

const id = (prefix: string) => `${prefix}_${crypto.randomUUID().replaceAll("-", "").slice(0, 22)}`;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** an utterance as OpenAI sees it: a conversation item, and the text its deltas have sent */
interface Item {
  itemId: string;
  sent: string;
}

class RealtimeTranscription implements LiveProtocol {
  private config: RealtimeConfig;
  private readonly sessionId = id("sess");
  private live?: LiveSession;
  private resampler?: Resampler;
  /** stream position (seconds) where the current LiveSession began: a reconfiguration starts a new one */
  private offset = 0;
  private streamed = 0;
  private previousItem: string | null = null;
  /** the client event being handled, for error.event_id */
  private current: string | null = null;

  constructor(
    private readonly ctx: ServerContext,
    private readonly io: SocketIO,
  ) {
    this.config = {
      rate: 24000,
      model: io.query.model ?? ctx.modelName ?? "whisper",
      language: undefined,
      prompt: undefined,
      turnDetection: { threshold: DEFAULT_TURN_OPTIONS.threshold, prefixPaddingMs: 300, silenceMs: DEFAULT_TURN_OPTIONS.silenceMs },
    };
    this.send({ type: "session.created", session: sessionObject(this.sessionId, this.config) });
  }

  message(data: unknown): void {
    this.current = null;
    if (binaryFrame(data)) return this.error("invalid_request_error", "invalid_event", "send audio as input_audio_buffer.append events (base64 pcm16), not binary frames");
    const frame = jsonFrame(data);
    if ("problem" in frame) return this.error("invalid_request_error", "invalid_json", "a client event must be a JSON object with a \"type\"");
    const event = frame.event;
    this.current = typeof event.event_id === "string" ? event.event_id.slice(0, 100) : null;
    try {
      switch (event.type) {
        case "session.update":
        case "transcription_session.update":
          return this.update(event);
        case "input_audio_buffer.append":
          return this.append(event.audio);
        case "input_audio_buffer.commit":
          this.flushResampler();
          return this.session().commit();
        case "input_audio_buffer.clear":
          return this.session().clear();
        default:
          this.error("invalid_request_error", "invalid_event", `unknown or unsupported client event type ${JSON.stringify(String(event.type ?? "")).slice(0, 80)}`, "type");
      }
    } catch (err) {
      const e = err instanceof SonaError ? err : new SonaError("internal_error", String(err));
      this.error(e.type, e.code === "invalid_request" ? "invalid_value" : e.code, e.message, e.param);
    }
  }

  end(): void {
    this.live?.close();
  }

  private update(event: Record<string, unknown>): void {
    const beta = event.type === "transcription_session.update";
    const next = parseSessionUpdate(event.session, this.config, beta);
    if (next.language !== undefined) parseOptions({ language: next.language }); // checked now, not at the first decode
    const changed = JSON.stringify(next) !== JSON.stringify(this.config);
    this.config = next;
    if (changed && this.live) {
      // audio already flowed: what is open is committed by the old session, the new one goes on from here
      const old = this.live;
      this.live = undefined;
      this.flushResampler(old);
      this.offset = this.streamed;
      void old.finish().then(() => old.close());
    }
    this.send({ type: beta ? "transcription_session.updated" : "session.updated", session: sessionObject(this.sessionId, this.config, beta) });
  }

  private append(audio: unknown): void {
    if (typeof audio !== "string") throw new SonaError("invalid_request", "input_audio_buffer.append needs `audio`: base64 pcm16", { param: "audio" });
    if (audio.length > MAX_FRAME_BYTES) throw new SonaError("too_large", `an append carries at most ${MAX_FRAME_BYTES} bytes of base64; this one has ${audio.length}`, { param: "audio" });
    if (audio.length % 4 !== 0 || !BASE64.test(audio)) throw new SonaError("invalid_request", "`audio` is not valid base64", { param: "audio" });
    const bytes = Buffer.from(audio, "base64");
    if (bytes.length % 2 !== 0) throw new SonaError("invalid_request", `\`audio\` is pcm16: an even number of bytes; this one has ${bytes.length}`, { param: "audio" });
    const pcm = new Int16Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
    const samples = new Float32Array(pcm.length);
    for (let i = 0; i < pcm.length; i++) samples[i] = pcm[i]! / 32768;
    const session = this.session();
    if (this.config.rate === 16000) return this.feed(session, samples);
    this.resampler ??= new Resampler(this.config.rate);
    this.resampler.push(samples, (block) => this.feed(session, block));
  }

  private feed(session: LiveSession, samples: Float32Array): void {
    this.streamed += samples.length / 16000;
    session.push(samples);
  }

  /** the resampler holds back a few ms that a commit should include */
  private flushResampler(session = this.live): void {
    if (!this.resampler || !session) return;
    const r = this.resampler;
    this.resampler = undefined;
    r.finish((block) => this.feed(session, block));
  }

  private session(): LiveSession {
    if (this.live) return this.live;
    const c = this.config;
    const offset = this.offset;
    // one item per utterance of this LiveSession (ids restart in the next one)
    const items = new Map<number, Item>();
    const decode = parseOptions({ language: c.language, prompt: c.prompt, no_fallback: "true" });
    this.live = new LiveSession({
      engine: this.ctx.engine,
      vadModelPath: embeddedVadModel().path,
      decode: { ...decode, vad: undefined },
      turns: c.turnDetection && { ...DEFAULT_TURN_OPTIONS, threshold: c.turnDetection.threshold, silenceMs: c.turnDetection.silenceMs },
      prefixPaddingMs: c.turnDetection?.prefixPaddingMs ?? 0,
      onEvent: (e) => this.event(e, offset, items),
    });
    return this.live;
  }

  private event(e: LiveEvent, offset: number, items: Map<number, Item>): void {
    const ms = (s: number) => Math.round((s + offset) * 1000);
    const item = (): Item => {
      if (!("id" in e)) return { itemId: "", sent: "" };
      let it = items.get(e.id);
      if (!it) items.set(e.id, (it = { itemId: id("item"), sent: "" }));
      return it;
    };
    switch (e.type) {
      case "speech_started":
        return this.send({ type: "input_audio_buffer.speech_started", audio_start_ms: ms(e.start), item_id: item().itemId });
      case "speech_stopped":
        return this.send({ type: "input_audio_buffer.speech_stopped", audio_end_ms: ms(e.end), item_id: item().itemId });
      case "committed": {
        const it = item();
        this.send({ type: "input_audio_buffer.committed", previous_item_id: this.previousItem, item_id: it.itemId });
        this.previousItem = it.itemId;
        return;
      }
      case "partial":
        return this.delta(item(), e.text);
      case "utterance": {
        const it = item();
        this.delta(it, e.text);
        items.delete(e.id);
        return this.send({
          type: "conversation.item.input_audio_transcription.completed",
          item_id: it.itemId,
          content_index: 0,
          transcript: e.text,
          usage: { type: "duration", seconds: e.seconds },
        });
      }
      case "failed": {
        const it = item();
        items.delete(e.id);
        return this.send({
          type: "conversation.item.input_audio_transcription.failed",
          item_id: it.itemId,
          content_index: 0,
          error: { type: "transcription_error", code: e.error.code, message: e.error.message, param: null },
        });
      }
      case "cleared":
        return this.send({ type: "input_audio_buffer.cleared" });
      case "error": {
        const code = e.error.message.startsWith("nothing to commit") ? "input_audio_buffer_commit_empty" : e.error.code;
        return this.error(e.error.type, code, e.error.message);
      }
    }
  }

  /**
   * Deltas add to what was sent: a re-decode that extends it sends the difference; one that revises
   * earlier words sends nothing (a delta cannot take text back), and `completed` carries the truth.
   */
  private delta(it: Item, text: string): void {
    if (!text.startsWith(it.sent) || text.length === it.sent.length) return;
    const delta = text.slice(it.sent.length);
    it.sent = text;
    this.send({ type: "conversation.item.input_audio_transcription.delta", item_id: it.itemId, content_index: 0, delta });
  }

  private error(type: string, code: string, message: string, param: string | null = null): void {
    this.send({ type: "error", error: { type, code, message, param, event_id: this.current } });
  }

  private send(event: Record<string, unknown>): void {
    this.io.send({ event_id: id("event"), ...event });
  }
}
