// GET /v1/realtime?intent=transcription: OpenAI's Realtime transcription session over a plain
// WebSocket (Bun's built-in client) on 127.0.0.1. Real speech (espeak-ng, known silences) at 24 kHz
// pcm16 through the real engine, Silero and a synthetic whisper model: events, order and times,
// never the text. The gate, the query check and bad input with the fake engine.
import { describe, expect, test } from "bun:test";
import { liveTestServers } from "./helpers/live-servers.ts";
import { eventually, postAudio, startTestServer } from "./helpers/server.ts";
import { GA_TRANSCRIPTION_SESSION, openEvents, rawUpgrade, type EventSocket } from "./helpers/ws.ts";

const live = liveTestServers();
const { real, server, fake } = live;

const url = (base: string, query = "intent=transcription") => `${base.replace("http", "ws")}/v1/realtime?${query}`;

/** 16 kHz -> 24 kHz by linear interpolation (the speech is band-limited well below 8 kHz) */
function to24k(x: Float32Array): Float32Array {
  const out = new Float32Array(Math.floor((x.length * 3) / 2));
  for (let i = 0; i < out.length; i++) {
    const at = (i * 2) / 3;
    const k = Math.floor(at);
    const f = at - k;
    out[i] = (x[k] ?? 0) * (1 - f) + (x[k + 1] ?? x[k] ?? 0) * f;
  }
  return out;
}

function pcm16Base64(x: Float32Array): string {
  const pcm = new Int16Array(x.length);
  for (let i = 0; i < x.length; i++) pcm[i] = Math.max(-32768, Math.min(32767, Math.round(x[i]! * 32767)));
  return Buffer.from(pcm.buffer).toString("base64");
}

function append(s: EventSocket, samples: Float32Array, rate: number, chunkMs: number): void {
  const step = Math.round((chunkMs / 1000) * rate);
  for (let i = 0; i < samples.length; i += step) {
    s.ws.send(JSON.stringify({ type: "input_audio_buffer.append", audio: pcm16Base64(samples.subarray(i, i + step)) }));
  }
}

const send = (s: EventSocket, event: object) => s.ws.send(JSON.stringify(event));

describe("a Realtime transcription session (GA shape, 24 kHz, server VAD)", () => {
  test("three utterances: speech_started, deltas, speech_stopped, committed, completed, in order, at the speech's times", async () => {
    const s = await openEvents(url(real.base));
    const created = await s.next((e) => e.type === "session.created");
    expect(created.session.type).toBe("transcription");
    expect(created.session.audio.input.format).toEqual({ type: "audio/pcm", rate: 24000 });
    send(s, { type: "session.update", event_id: "ev1", session: GA_TRANSCRIPTION_SESSION });
    const updated = await s.next((e) => e.type === "session.updated");
    expect(updated.session.audio.input.transcription).toEqual({ model: "gpt-4o-transcribe", language: "en", prompt: null });
    append(s, to24k(live.spoken.samples), 24000, 50);
    // events are handled in order: the error for this empty commit comes after everything before it
    send(s, { type: "input_audio_buffer.commit", event_id: "last" });
    const empty = await s.next((e) => e.type === "error" && e.error.event_id === "last", 120_000);
    expect(empty.error.code).toBe("input_audio_buffer_commit_empty");

    const completed = s.events.filter((e) => e.type === "conversation.item.input_audio_transcription.completed");
    expect(completed).toHaveLength(3);
    expect(s.events.filter((e) => e.type === "error")).toHaveLength(1);
    const committed = s.events.filter((e) => e.type === "input_audio_buffer.committed");
    expect(committed.map((e) => e.item_id)).toEqual(completed.map((e) => e.item_id));
    expect(committed.map((e) => e.previous_item_id)).toEqual([null, committed[0]!.item_id, committed[1]!.item_id]);
    for (const [i, done] of completed.entries()) {
      const mine = s.events.filter((e) => e.item_id === done.item_id);
      const types = mine.map((e) => e.type);
      expect(types[0]).toBe("input_audio_buffer.speech_started");
      expect(types.slice(-3)).toEqual(["input_audio_buffer.speech_stopped", "input_audio_buffer.committed", "conversation.item.input_audio_transcription.completed"]);
      const deltas = mine.filter((e) => e.type === "conversation.item.input_audio_transcription.delta");
      expect(deltas.length).toBeGreaterThanOrEqual(1);
      expect(types.indexOf("conversation.item.input_audio_transcription.delta")).toBeLessThan(types.indexOf("conversation.item.input_audio_transcription.completed"));
      // deltas only ever add: joined, they are the start of (here, without revisions, all of) the transcript
      expect(done.transcript.startsWith(deltas.map((d) => d.delta).join(""))).toBe(true);
      expect(done.usage.type).toBe("duration");
      expect(done.usage.seconds).toBeGreaterThan(0);
      const started = mine[0]!;
      const stopped = mine.find((e) => e.type === "input_audio_buffer.speech_stopped")!;
      expect(Math.abs(started.audio_start_ms / 1000 - live.spoken.utterances[i]!.start)).toBeLessThanOrEqual(0.3);
      expect(Math.abs(stopped.audio_end_ms / 1000 - live.spoken.utterances[i]!.end)).toBeLessThanOrEqual(0.3);
    }
    for (const e of s.events) expect(typeof e.event_id).toBe("string");
    s.ws.close();
    expect(await eventually(() => !real.app.sona.gate.busy, 5000)).toBe(true);
  }, 180_000);

  test("beta shape, 16 kHz, manual commits (turn_detection null)", async () => {
    const s = await openEvents(url(real.base, "model=whisper-1"));
    await s.next((e) => e.type === "session.created");
    send(s, { type: "transcription_session.update", session: { input_audio_format: "pcm_s16le_16000", input_audio_transcription: { model: "whisper-1" }, turn_detection: null } });
    const updated = await s.next((e) => e.type === "transcription_session.updated");
    expect(updated.session.turn_detection).toBeNull();
    expect(updated.session.input_audio_format).toBe("pcm_s16le_16000");
    const first = live.spoken.samples.subarray(0, Math.round((live.spoken.utterances[0]!.end + 0.5) * 16000));
    append(s, first, 16000, 100);
    send(s, { type: "input_audio_buffer.commit" });
    const done = await s.next((e) => e.type === "conversation.item.input_audio_transcription.completed", 60_000);
    const types = s.events.map((e) => e.type);
    expect(types).not.toContain("input_audio_buffer.speech_started");
    expect(types.indexOf("input_audio_buffer.committed")).toBeLessThan(types.indexOf("conversation.item.input_audio_transcription.completed"));
    expect(done.usage.seconds).toBeCloseTo(first.length / 16000, 1);
    s.ws.close();
  }, 60_000);
});

describe("the route's rules", () => {
  test("busy: 429 before the upgrade; a session blocks HTTP transcriptions; a disconnect frees the gate", async () => {
    const lease = server.app.sona.gate.tryAcquire()!;
    const res = await rawUpgrade(server.base, "/v1/realtime?intent=transcription");
    lease.release();
    expect(res.status).toBe(429);
    const s = await openEvents(url(server.base));
    await s.next((e) => e.type === "session.created");
    const blocked = await postAudio(server.base);
    expect(blocked.status).toBe(429);
    await blocked.body?.cancel();
    s.ws.close();
    expect(await eventually(() => !server.app.sona.gate.busy, 5000)).toBe(true);
  });

  test("another intent is a 400 before the upgrade", async () => {
    const res = await rawUpgrade(server.base, "/v1/realtime?intent=conversation");
    expect(res.status).toBe(400);
    expect(res.text).toContain('"param":"intent"');
  });

  test("each bad input gets an OpenAI error event naming it, and the session goes on", async () => {
    const s = await openEvents(url(server.base));
    await s.next((e) => e.type === "session.created");
    const errorFor = async (event: object | string | Uint8Array<ArrayBuffer>, code: string, param?: string) => {
      const from = s.events.length;
      s.ws.send(typeof event === "string" || event instanceof Uint8Array ? event : JSON.stringify(event));
      const e = await s.next((x) => x.type === "error", 10_000, from);
      expect(e.error.type).toBe("invalid_request_error");
      expect(e.error.code).toBe(code);
      if (param) expect(e.error.param).toBe(param);
      expect(typeof e.error.message).toBe("string");
      return e;
    };
    await errorFor("not json", "invalid_json");
    await errorFor(new Uint8Array(8), "invalid_event");
    const unknown = await errorFor({ type: "response.create", event_id: "e7" }, "invalid_event", "type");
    expect(unknown.error.event_id).toBe("e7");
    await errorFor({ type: "input_audio_buffer.append", audio: "@@not base64@@" }, "invalid_value", "audio");
    await errorFor({ type: "input_audio_buffer.append", audio: Buffer.from([1, 2, 3]).toString("base64") }, "invalid_value", "audio");
    await errorFor({ type: "input_audio_buffer.append" }, "invalid_value", "audio");
    await errorFor({ type: "input_audio_buffer.append", audio: "A".repeat(15 * 1024 * 1024 + 4) }, "too_large", "audio");
    const rate = { type: "session.update", session: { audio: { input: { format: { type: "audio/pcm", rate: 44100 } } } } };
    await errorFor(rate, "invalid_value", "session.audio.input.format.rate");
    await errorFor({ type: "session.update", session: { type: "realtime" } }, "invalid_value", "session.type");
    await errorFor({ type: "session.update", session: { audio: { input: { format: { type: "audio/pcmu" } } } } }, "invalid_value", "session.audio.input.format.type");
    await errorFor({ type: "session.update", session: { audio: { input: { turn_detection: { type: "semantic_vad" } } } } }, "invalid_value", "session.audio.input.turn_detection.type");
    await errorFor({ type: "session.update", session: { audio: { input: { transcription: { language: "klingon" } } } } }, "invalid_value", "language");
    await errorFor({ type: "session.update", session: { voice: "alloy" } }, "invalid_value", "session.voice");
    await errorFor({ type: "input_audio_buffer.commit" }, "input_audio_buffer_commit_empty");

    // still going: audio, a clear, an update that reports the configuration unchanged by the errors
    send(s, { type: "input_audio_buffer.append", audio: pcm16Base64(new Float32Array(2400).fill(0.5)) });
    send(s, { type: "input_audio_buffer.clear" });
    await s.next((e) => e.type === "input_audio_buffer.cleared");
    send(s, { type: "session.update", session: {} });
    const updated = await s.next((e) => e.type === "session.updated");
    expect(updated.session.audio.input.format.rate).toBe(24000);
    expect(updated.session.audio.input.turn_detection.type).toBe("server_vad");
    s.ws.close();
    expect(await eventually(() => !server.app.sona.gate.busy, 5000)).toBe(true);
  }, 60_000);
});

describe("with --api-key", () => {
  test("the key as OpenAI's browser subprotocol or as api_key; without it 401 before the upgrade", async () => {
    const keyed = startTestServer(fake, { apiKey: "s3cret" });
    try {
      const refused = await rawUpgrade(keyed.base, "/v1/realtime?intent=transcription");
      expect(refused.status).toBe(401);
      expect(refused.text).toContain('"code":"unauthorized"');
      expect((await rawUpgrade(keyed.base, "/v1/audio/live?api_key=wrong")).status).toBe(401);

      const viaProtocol = await openEvents(url(keyed.base), ["realtime", "openai-insecure-api-key.s3cret"]);
      expect(viaProtocol.ws.protocol).toBe("realtime");
      await viaProtocol.next((e) => e.type === "session.created");
      viaProtocol.ws.close();
      expect(await eventually(() => !keyed.app.sona.gate.busy, 5000)).toBe(true);

      const viaQuery = await openEvents(url(keyed.base, "intent=transcription&api_key=s3cret"));
      await viaQuery.next((e) => e.type === "session.created");
      viaQuery.ws.close();
      expect(await eventually(() => !keyed.app.sona.gate.busy, 5000)).toBe(true);

      // the query key opens WebSockets only, not HTTP routes
      const http = await fetch(`${keyed.base}/v1/models?api_key=s3cret`);
      expect(http.status).toBe(401);
      await http.body?.cancel();
    } finally {
      await keyed.close();
    }
  });
});
