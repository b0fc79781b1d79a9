// The VAD over HTTP with the real engine and the real Silero model: POST /v1/audio/vad, the VAD
// fields of a transcription (vad, stable_timestamps, chunking_strategy through the openai SDK),
// bad VAD input, and stereo speakers. The whisper model is synthetic: no test reads its words.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import OpenAI from "openai";
import { WhisperEngine } from "../src/engine/index.ts";
import { loadModel } from "../src/server/routes/models.ts";
import { VENDORED_VAD_PATH } from "../src/vad/model.ts";
import { wavBytes } from "./helpers/audio.ts";
import { audioForm, MICRO_EN, startTestServer } from "./helpers/server.ts";
import { speak, spokenWithGaps, THREE_UTTERANCES, type SpokenAudio } from "./helpers/speech.ts";

const V5 = join(import.meta.dir, "fixtures/ggml-silero-v5.1.2.bin");
const engine = new WhisperEngine();
const server = startTestServer(engine);
const { base } = server;
const scratch = mkdtempSync(join(tmpdir(), "sona-vad-files-"));
let spoken: SpokenAudio;
let wav: Uint8Array;

beforeAll(async () => {
  spoken = await spokenWithGaps(THREE_UTTERANCES.texts, THREE_UTTERANCES.gaps);
  wav = wavBytes(spoken.samples);
}, 60_000);
afterAll(async () => {
  await server.close();
  await engine.close();
  rmSync(scratch, { recursive: true, force: true });
});

const post = (path: string, fields: Record<string, string>, file: Uint8Array = wav) =>
  fetch(base + path, { method: "POST", body: audioForm({ no_fallback: "true", ...fields }, file) });
const vad = (fields: Record<string, string> = {}, file?: Uint8Array) => post("/v1/audio/vad", fields, file);
const transcribe = (fields: Record<string, string>, file?: Uint8Array) => post("/v1/audio/transcriptions", fields, file);

async function expectError(res: Response, status: number, param: string | null, message?: RegExp) {
  const body = (await res.json()) as { error: { param: string | null; message: string } };
  expect(res.status).toBe(status);
  expect(body.error.param).toBe(param);
  if (message) expect(body.error.message).toMatch(message);
  expect(server.leftovers()).toEqual([]);
}

describe("POST /v1/audio/vad (no whisper model loaded)", () => {
  test("answers the speech spans with the embedded model", async () => {
    const res = await vad();
    expect(res.status).toBe(200);
    const body = (await res.json()) as { model: string; duration: number; speech_duration: number; spans: { start: number; end: number }[] };
    expect(body.model).toBe("silero-v6.2.0");
    expect(body.duration).toBeCloseTo(spoken.samples.length / 16000, 2);
    expect(body.spans.length).toBeGreaterThanOrEqual(3);
    expect(body.speech_duration).toBeGreaterThan(0);
    expect(body.speech_duration).toBeLessThan(body.duration / 2);
    expect(res.headers.get("server-timing")).toMatch(/^vad;dur=/);
    expect(server.leftovers()).toEqual([]);
  });

  test("vad_model may name another Silero file; a stricter threshold finds less speech", async () => {
    const v5 = (await (await vad({ vad_model: V5 })).json()) as { model: string; spans: unknown[] };
    expect(v5.model).toBe(V5);
    expect(v5.spans.length).toBeGreaterThan(0);
    const loose = (await (await vad({ vad_threshold: "0.2" })).json()) as { speech_duration: number };
    const strict = (await (await vad({ vad_threshold: "0.95" })).json()) as { speech_duration: number };
    expect(strict.speech_duration).toBeLessThan(loose.speech_duration);
  });

  test("bad VAD input is a 400 naming the field, and the next request works", async () => {
    const garbage = join(scratch, "garbage.bin");
    writeFileSync(garbage, new Uint8Array(4096).fill(7));
    await expectError(await vad({ vad_threshold: "-0.1" }), 400, "vad_threshold", /outside 0\.\.1/);
    await expectError(await vad({ vad_threshold: "loud" }), 400, "vad_threshold");
    await expectError(await vad({ vad_min_speech_duration_ms: "1.5" }), 400, "vad_min_speech_duration_ms");
    await expectError(await vad({ vad_model: garbage }), 400, "vad_model", /not a Silero VAD model/);
    await expectError(await vad({ vad_model: MICRO_EN }), 400, "vad_model", /whisper model, not a VAD model/);
    await expectError(await vad({ vad_model: "/nonexistent/silero.bin" }), 400, "vad_model", /not found/);
    await expectError(await vad({}, new TextEncoder().encode("not audio at all")), 400, null);
    expect((await vad()).status).toBe(200);
  });

  test("a damaged Silero file (a tensor cut short) is refused before whisper.cpp reads it", async () => {
    const cut = join(scratch, "cut.bin");
    const bytes = await Bun.file(VENDORED_VAD_PATH).bytes();
    writeFileSync(cut, bytes.subarray(0, bytes.length - 1000));
    await expectError(await vad({ vad_model: cut }), 400, "vad_model", /truncated/);
  });

  test("a VAD model given as the whisper model is refused with the reason", async () => {
    const res = await fetch(`${base}/v1/models/load`, { method: "POST", body: JSON.stringify({ path: VENDORED_VAD_PATH }) });
    await expectError(res, 400, "path", /Silero VAD model, not a whisper model/);
  });
});

describe("transcription with VAD fields", () => {
  beforeAll(() => loadModel(server.app.sona, MICRO_EN), 30_000);

  test("stable_timestamps: every segment lies inside a speech span", async () => {
    const spans = ((await (await vad()).json()) as { spans: { start: number; end: number }[] }).spans;
    const res = await transcribe({ stable_timestamps: "true", response_format: "verbose_json" });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { segments: { start: number; end: number; temperature: number }[] };
    expect(body.segments.length).toBeGreaterThan(0);
    for (const s of body.segments) expect(spans.some((p) => s.start >= p.start - 0.01 && s.end <= p.end + 0.01)).toBe(true);
  }, 120_000);

  test("VAD tunables without a VAD mode are refused, not ignored", async () => {
    await expectError(await transcribe({ vad_threshold: "0.4" }), 400, "vad_threshold", /needs vad or stable_timestamps/);
    await expectError(await transcribe({ vad_model: V5 }), 400, "vad_model", /needs vad or stable_timestamps/);
  });

  test("a bad vad_model fails before the audio is decoded", async () => {
    await expectError(await transcribe({ vad: "true", vad_model: MICRO_EN }), 400, "vad_model", /whisper model/);
  });

  test("chunking_strategy: auto, a server_vad JSON string, bad values", async () => {
    expect((await transcribe({ chunking_strategy: "auto" })).status).toBe(200);
    expect((await transcribe({ chunking_strategy: JSON.stringify({ type: "server_vad", threshold: 0.6, silence_duration_ms: 300 }) })).status).toBe(200);
    await expectError(await transcribe({ chunking_strategy: "{nope" }), 400, "chunking_strategy", /JSON/);
    await expectError(await transcribe({ chunking_strategy: JSON.stringify({ type: "semantic" }) }), 400, "chunking_strategy", /server_vad/);
    await expectError(await transcribe({ chunking_strategy: JSON.stringify({ type: "server_vad", threshold: 2 }) }), 400, "chunking_strategy", /threshold/);
    await expectError(await transcribe({ chunking_strategy: JSON.stringify({ type: "server_vad", volume: 1 }) }), 400, "chunking_strategy", /unknown key/);
  }, 120_000);

  test("the openai SDK's chunking_strategy object arrives as bracketed form fields and works", async () => {
    const client = new OpenAI({ apiKey: "unused", baseURL: `${base}/v1`, maxRetries: 0 });
    const file = new File([wav as BlobPart], "spoken.wav", { type: "audio/wav" });
    const r = await client.audio.transcriptions.create({
      file,
      model: "whisper-1",
      response_format: "verbose_json",
      chunking_strategy: { type: "server_vad", threshold: 0.5, prefix_padding_ms: 100, silence_duration_ms: 200 },
    });
    expect(r.duration).toBeCloseTo(spoken.samples.length / 16000, 1);
    const bad = await client.audio.transcriptions
      .create({ file, model: "whisper-1", chunking_strategy: { type: "server_vad", threshold: 7 } })
      .then(() => null, (e: { status?: number }) => e.status);
    expect(bad).toBe(400);
  }, 120_000);

  test("a stream with stable_timestamps sends segments as each span finishes, then progress 100 and the result", async () => {
    const res = await transcribe({ stable_timestamps: "true", stream: "true" });
    const events = (await res.text()).trim().split("\n").map((l) => JSON.parse(l) as { type: string; progress?: number });
    const kinds = events.map((e) => e.type);
    expect(kinds.at(-1)).toBe("result");
    expect(kinds.filter((k) => k === "segment").length).toBeGreaterThan(0);
    expect(events.filter((e) => e.type === "progress").at(-1)?.progress).toBe(100);
  }, 120_000);
});

describe("multi-track media", () => {
  test("an MKV with two tracks: mixed by default, audio_track picks one, out of range is a 400", async () => {
    const mkv = join(scratch, "two.mkv");
    const tone = (f: number, d: number) => ["-f", "lavfi", "-i", `aevalsrc=0.3*sin(2*PI*${f}*t):s=16000:d=${d}`];
    const made = Bun.spawnSync(["ffmpeg", "-v", "error", "-nostdin", "-y", ...tone(440, 1), ...tone(880, 1.5), "-map", "0", "-map", "1", "-c:a", "flac", mkv]);
    expect(made.exitCode).toBe(0);
    const bytes = await Bun.file(mkv).bytes();
    const duration = async (fields: Record<string, string>) => ((await (await transcribe({ response_format: "verbose_json", ...fields }, bytes)).json()) as { duration: number }).duration;
    await loadModel(server.app.sona, MICRO_EN);
    expect(await duration({})).toBeCloseTo(1.5, 1);
    expect(await duration({ audio_track: "0" })).toBeCloseTo(1, 1);
    expect(await duration({ audio_track: "1" })).toBeCloseTo(1.5, 1);
    await expectError(await transcribe({ audio_track: "2" }, bytes), 400, "audio_track", /2 audio streams/);
  }, 60_000);
});

describe("stereo speakers (diarize)", () => {
  let stereo: Uint8Array;
  let mono: Uint8Array;
  beforeAll(async () => {
    // speaker A on the left, then speaker B on the right, a second of silence between
    const a = await speak("Hello, this is the left channel speaking.");
    const b = await speak("And this is the right channel answering.");
    const gap = 16000;
    const n = 8000 + a.length + gap + b.length + 8000;
    const left = new Float32Array(n);
    const right = new Float32Array(n);
    left.set(a, 8000);
    right.set(b, 8000 + a.length + gap);
    stereo = wavBytes(left, 16000, right);
    mono = wavBytes(left);
    await loadModel(server.app.sona, MICRO_EN);
  }, 60_000);

  test("verbose_json labels segments by channel; json, text, srt and vtt never carry it", async () => {
    const res = await transcribe({ diarize: "true", stable_timestamps: "true", response_format: "verbose_json" }, stereo);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { segments: { start: number; end: number; speaker: number }[] };
    const speakers = new Set(body.segments.map((s) => s.speaker));
    expect(speakers).toEqual(new Set([0, 1]));
    // the first speaker talks first
    expect(body.segments[0]!.speaker).toBe(0);
    expect(body.segments.at(-1)!.speaker).toBe(1);
    for (const format of ["json", "text", "srt", "vtt"]) {
      const text = await (await transcribe({ diarize: "true", stable_timestamps: "true", response_format: format }, stereo)).text();
      expect(text).not.toContain("speaker");
    }
  }, 180_000);

  test("diarized_json: OpenAI's shape with speakers A and B", async () => {
    const res = await transcribe({ stable_timestamps: "true", response_format: "diarized_json" }, stereo);
    const body = (await res.json()) as { task: string; text: string; segments: { type: string; id: string; speaker: string }[]; usage: { type: string } };
    expect(body.task).toBe("transcribe");
    expect(body.usage.type).toBe("duration");
    expect(body.segments[0]!.type).toBe("transcript.text.segment");
    expect(body.segments[0]!.id).toBe("seg_001");
    expect(new Set(body.segments.map((s) => s.speaker))).toEqual(new Set(["A", "B"]));
  }, 120_000);

  test("NDJSON segment events carry the speaker; SSE sends OpenAI's transcript.text.segment events", async () => {
    const ndjson = await (await transcribe({ diarize: "true", stable_timestamps: "true", stream: "true" }, stereo)).text();
    const segs = ndjson.trim().split("\n").map((l) => JSON.parse(l) as { type: string; speaker?: number }).filter((e) => e.type === "segment");
    expect(segs.every((s) => s.speaker === 0 || s.speaker === 1)).toBe(true);
    const sse = await fetch(`${base}/v1/audio/transcriptions`, {
      method: "POST",
      headers: { accept: "text/event-stream" },
      body: audioForm({ no_fallback: "true", stable_timestamps: "true", stream: "true", response_format: "diarized_json" }, stereo),
    });
    const events = (await sse.text()).split("\n\n").filter((e) => e.startsWith("data: ")).map((e) => JSON.parse(e.slice(6)) as { type: string; speaker?: string });
    const segments = events.filter((e) => e.type === "transcript.text.segment");
    expect(segments.length).toBe(events.filter((e) => e.type === "transcript.text.delta").length);
    expect(new Set(segments.map((s) => s.speaker))).toEqual(new Set(["A", "B"]));
  }, 180_000);

  test("mono input with diarize is a 400 that says why", async () => {
    await expectError(await transcribe({ diarize: "true" }, mono), 400, "diarize", /two-channel/);
  });
});
