// The unmodified openai npm client's Realtime WebSocket class (openai/realtime/ws over the `ws`
// package) against Sona's /v1/realtime. The class always connects with wss://, so the app listens
// with TLS here (a self-signed certificate made for the test; rejectUnauthorized: false goes through
// the class's `options`). Real speech at 24 kHz pcm16, the real engine and Silero, a synthetic
// whisper model: events and their order, never the text.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import OpenAI from "openai";
import { OpenAIRealtimeWS } from "openai/realtime/ws";
import { WhisperEngine } from "../src/engine/index.ts";
import { createApp } from "../src/server/app.ts";
import { listen } from "../src/server/lifecycle.ts";
import { MICRO_EN } from "./helpers/server.ts";
import { spokenWithGaps, THREE_UTTERANCES, type SpokenAudio } from "./helpers/speech.ts";
import { GA_TRANSCRIPTION_SESSION } from "./helpers/ws.ts";

const engine = new WhisperEngine();
const dir = mkdtempSync(join(tmpdir(), "sona-tls-"));
let spoken: SpokenAudio;
let server: ReturnType<typeof listen>;

beforeAll(async () => {
  const made = Bun.spawnSync(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
    "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", join(dir, "key.pem"), "-out", join(dir, "cert.pem")]);
  if (made.exitCode !== 0) throw new Error(`openssl failed: ${made.stderr.toString()}`);
  spoken = await spokenWithGaps(THREE_UTTERANCES.texts, THREE_UTTERANCES.gaps);
  await engine.load(MICRO_EN);
  const app = createApp({ engine, log: () => {} });
  server = listen(app, "127.0.0.1", 0, { cert: readFileSync(join(dir, "cert.pem"), "utf8"), key: readFileSync(join(dir, "key.pem"), "utf8") });
}, 60_000);
afterAll(async () => {
  await server?.stop(true);
  await engine.close();
  rmSync(dir, { recursive: true, force: true });
});

/** 16 kHz -> 24 kHz pcm16 by linear interpolation (the speech is band-limited well below 8 kHz) */
function pcm16At24k(x: Float32Array): Int16Array {
  const out = new Int16Array(Math.floor((x.length * 3) / 2));
  for (let i = 0; i < out.length; i++) {
    const at = (i * 2) / 3;
    const k = Math.floor(at);
    const v = (x[k] ?? 0) * (1 - (at - k)) + (x[k + 1] ?? 0) * (at - k);
    out[i] = Math.max(-32768, Math.min(32767, Math.round(v * 32767)));
  }
  return out;
}

test("the openai client's OpenAIRealtimeWS: three completed transcriptions in order, deltas and speech events around each", async () => {
  const client = new OpenAI({ apiKey: "sona", baseURL: `https://127.0.0.1:${server.port}/v1` });
  const rt = new OpenAIRealtimeWS({ intent: "transcription", options: { rejectUnauthorized: false } }, client);
  const events: Array<Record<string, any>> = [];
  const errors: unknown[] = [];
  let finished!: () => void;
  const done = new Promise<void>((r) => (finished = r));
  rt.on("event", (e) => {
    events.push(e as Record<string, any>);
    if (e.type === "error" && (e as any).error?.event_id === "last") finished();
  });
  rt.on("error", (err) => {
    errors.push(err);
  });
  await new Promise<void>((resolve, reject) => {
    rt.socket.on("open", () => resolve());
    rt.socket.on("error", reject);
  });
  rt.send({ type: "session.update", session: GA_TRANSCRIPTION_SESSION });
  const pcm = pcm16At24k(spoken.samples);
  const step = 24000 / 20; // 50 ms
  for (let i = 0; i < pcm.length; i += step) {
    rt.send({ type: "input_audio_buffer.append", audio: Buffer.from(pcm.subarray(i, i + step).slice().buffer).toString("base64") });
  }
  // handled in order: this empty commit's error comes after everything appended before it
  rt.send({ type: "input_audio_buffer.commit", event_id: "last" });
  await done;
  rt.close();

  const types = events.map((e) => e.type);
  expect(types[0]).toBe("session.created");
  expect(types).toContain("session.updated");
  const completed = events.filter((e) => e.type === "conversation.item.input_audio_transcription.completed");
  expect(completed).toHaveLength(3);
  for (const [i, c] of completed.entries()) {
    const mine = events.filter((e) => e.item_id === c.item_id).map((e) => e.type);
    expect(mine[0]).toBe("input_audio_buffer.speech_started");
    expect(mine.indexOf("conversation.item.input_audio_transcription.delta")).toBeGreaterThan(0);
    expect(mine.slice(-3)).toEqual(["input_audio_buffer.speech_stopped", "input_audio_buffer.committed", "conversation.item.input_audio_transcription.completed"]);
    const started = events.find((e) => e.item_id === c.item_id && e.type === "input_audio_buffer.speech_started")!;
    expect(Math.abs(started.audio_start_ms / 1000 - spoken.utterances[i]!.start)).toBeLessThanOrEqual(0.3);
  }
  // the SDK's error listener heard only the one deliberate empty commit
  expect(errors).toHaveLength(1);
}, 180_000);
