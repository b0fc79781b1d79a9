// The transcription route with the fake engine: formats, exact NDJSON/SSE streams, form parsing,
// the gate decided before the body is read, and temp files gone after every request.
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { SonaError } from "../src/errors.ts";
import { FakeEngine } from "./fake-engine.ts";
import { audioForm, MICRO_EN, postAudio, startTestServer, eventually } from "./helpers/server.ts";

const engine = new FakeEngine();
const server = startTestServer(engine);
const { base } = server;
beforeAll(() => engine.load(MICRO_EN));
afterAll(() => server.close());
afterEach(async () => {
  engine.options = {};
  // every path removes its upload and frees the gate, streams included (just after their last event)
  expect(await eventually(() => server.leftovers().length === 0 && !server.app.sona.gate.busy)).toBe(true);
});

async function errorOf(res: Response, status: number) {
  expect(res.status).toBe(status);
  return (await res.json()).error as { code: string; message: string; param: string | null };
}

describe("response formats", () => {
  const cases: [string, string, string][] = [
    ["json", "application/json", '{"text":"Fake one. Fake two.","usage":{"type":"duration","seconds":3}}'],
    ["text", "text/plain; charset=utf-8", "Fake one. Fake two.\n"],
    ["srt", "text/plain; charset=utf-8", "1\n00:00:00,000 --> 00:00:01,500\nFake one.\n\n2\n00:00:01,500 --> 00:00:03,000\nFake two.\n"],
    ["vtt", "text/plain; charset=utf-8", "WEBVTT\n\n00:00:00.000 --> 00:00:01.500\nFake one.\n\n00:00:01.500 --> 00:00:03.000\nFake two.\n"],
  ];
  for (const [format, type, body] of cases) {
    test(`${format}: ${type}, exact body`, async () => {
      const res = await postAudio(base, { response_format: format });
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toBe(type);
      expect(res.headers.get("server-timing")).toMatch(/^decode;dur=[\d.]+, inference;dur=[\d.]+/);
      expect(await res.text()).toBe(body);
    });
  }

  test("verbose_json with repeated timestamp_granularities[] has segments and words", async () => {
    const res = await postAudio(base, { response_format: "verbose_json", "timestamp_granularities[]": ["word", "segment"], model: "whisper-1", unknown_field: "ignored" });
    const body = await res.json();
    expect(body).toMatchObject({ task: "transcribe", language: "english", duration: 3, text: "Fake one. Fake two.", usage: { type: "duration", seconds: 3 } });
    expect(body.segments.map((s: { text: string }) => s.text)).toEqual([" Fake one.", " Fake two."]);
    expect(body.words).toEqual([
      { word: "Fake", start: 0, end: 0.7 }, { word: "one.", start: 0.7, end: 1.5 },
      { word: "Fake", start: 1.5, end: 2.2 }, { word: "two.", start: 2.2, end: 3 },
    ]);
    expect(engine.calls.at(-1)!.options.wordTimestamps).toBe(true);
  });

  test("fields reach the engine parsed; the audio is decoded to 16 kHz samples", async () => {
    await postAudio(base, { language: "en", prompt: "Names: Sona.", temperature: "0.2", n_threads: "1", beam_size: "3" });
    const call = engine.calls.at(-1)!;
    expect(call.samples).toBe(48000);
    expect(call.options).toMatchObject({ language: "en", prompt: "Names: Sona.", temperature: 0.2, threads: 1, beamSize: 3, strategy: "beam_search", translate: false });
  });

  test("POST /v1/audio/translations is a transcription with translate=true", async () => {
    const res = await postAudio(base, { response_format: "verbose_json", translate: "false" }, {}, "/v1/audio/translations");
    expect((await res.json()).task).toBe("translate");
    expect(engine.calls.at(-1)!.options.translate).toBe(true);
  });
});

describe("request errors", () => {
  test("an unknown format, a malformed number, an unknown language: 400 naming the field", async () => {
    for (const [field, value] of [["response_format", "docx"], ["temperature", "warm"], ["language", "klingon"], ["stream", "maybe"], ["timestamp_granularities[]", "char"]] as const) {
      const err = await errorOf(await postAudio(base, { [field]: value }), 400);
      expect(err).toMatchObject({ code: "invalid_request", param: field });
      expect(err.message).toContain(field);
    }
  });

  test("no file part, or not multipart at all: 400 param file", async () => {
    let err = await errorOf(await fetch(`${base}/v1/audio/transcriptions`, { method: "POST", body: audioForm({ language: "en" }, null) }), 400);
    expect(err).toMatchObject({ code: "invalid_request", param: "file" });
    expect(err.message).toContain("'file'");
    err = await errorOf(await fetch(`${base}/v1/audio/transcriptions`, { method: "POST", body: '{"file":"a.wav"}', headers: { "content-type": "application/json" } }), 400);
    expect(err).toMatchObject({ code: "invalid_request", param: "file" });
    const truncated = '--b0undary\r\nContent-Disposition: form-data; name="file"; filename="a.wav"\r\n\r\nRIFF....';
    err = await errorOf(await fetch(`${base}/v1/audio/transcriptions`, { method: "POST", body: truncated, headers: { "content-type": "multipart/form-data; boundary=b0undary" } }), 400);
    expect(err.message).toMatch(/malformed multipart/);
  });

  test("audio that cannot be decoded is 400 invalid_audio", async () => {
    const form = audioForm({}, new TextEncoder().encode("definitely not audio ".repeat(50)));
    const err = await errorOf(await fetch(`${base}/v1/audio/transcriptions`, { method: "POST", body: form }), 400);
    expect(err.code).toBe("invalid_audio");
  });

  test("an engine failure is a 500 internal_error; its request errors stay 400", async () => {
    engine.options.failWith = new SonaError("internal_error", "whisper.cpp failed (code 7)");
    let err = await errorOf(await postAudio(base), 500);
    expect(err).toMatchObject({ code: "internal_error", message: "whisper.cpp failed (code 7)" });
    engine.options.failWith = new SonaError("invalid_request", "the loaded model is English-only");
    err = await errorOf(await postAudio(base), 400);
    expect(err.code).toBe("invalid_request");
    engine.options.failWith = undefined;
    expect((await postAudio(base)).status).toBe(200);
  });
});

describe("streaming", () => {
  const NDJSON = [
    '{"type":"progress","progress":0}',
    '{"type":"segment","start":0,"end":1.5,"text":" Fake one.","id":0,"no_speech_prob":0.01}',
    '{"type":"progress","progress":50}',
    '{"type":"segment","start":1.5,"end":3,"text":" Fake two.","id":1,"no_speech_prob":0.02}',
    '{"type":"result","text":"Fake one. Fake two.","language":"en","duration":3}',
    "",
  ].join("\n");

  test("stream=true gives the exact NDJSON sequence", async () => {
    const res = await postAudio(base, { stream: "true" });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/x-ndjson");
    expect(res.headers.get("cache-control")).toBe("no-cache");
    expect(await res.text()).toBe(NDJSON);
  });

  test("headers and progress 0 arrive before inference ends", async () => {
    engine.options.stepMs = 60_000; // each step a minute: the run is still going when they arrive
    const res = await postAudio(base, { stream: "true" });
    const reader = res.body!.getReader();
    const first = new TextDecoder().decode((await reader.read()).value);
    expect(first).toBe('{"type":"progress","progress":0}\n');
    // inference, which takes minutes here, is still to come or under way: nothing waited for it
    expect(await eventually(() => engine.running, 10_000)).toBe(true);
    await reader.cancel(); // the server aborts the run
    expect(await eventually(() => !engine.running, 10_000)).toBe(true);
    engine.options.stepMs = 0;
  });

  const SSE = [
    ": progress 0",
    'data: {"type":"transcript.text.delta","delta":" Fake one."}',
    ": progress 50",
    'data: {"type":"transcript.text.delta","delta":" Fake two."}',
    'data: {"type":"transcript.text.done","text":"Fake one. Fake two.","usage":{"type":"duration","seconds":3}}',
    "",
  ].join("\n\n");

  test("SSE for Accept: text/event-stream and for OpenAI SDK markers; Accept NDJSON wins", async () => {
    const sse = await postAudio(base, { stream: "true" }, { headers: { accept: "text/event-stream" } });
    expect(sse.headers.get("content-type")).toBe("text/event-stream");
    expect(await sse.text()).toBe(SSE);
    const sdk = await postAudio(base, { stream: "true" }, { headers: { accept: "application/json", "x-stainless-lang": "js" } });
    expect(await sdk.text()).toBe(SSE);
    const ua = await postAudio(base, { stream: "true" }, { headers: { "user-agent": "OpenAI/Python 1.109.1" } });
    expect(ua.headers.get("content-type")).toBe("text/event-stream");
    await ua.text();
    const forced = await postAudio(base, { stream: "true" }, { headers: { accept: "application/x-ndjson", "x-stainless-lang": "js" } });
    expect(await forced.text()).toBe(NDJSON);
  });

  test("a failure after the headers is one error event, last; the next request works", async () => {
    engine.options.failWith = new SonaError("internal_error", "whisper.cpp failed (code 7)");
    const lines = (await (await postAudio(base, { stream: "true" })).text()).trim().split("\n");
    expect(lines.at(-1)).toBe('{"type":"error","code":"internal_error","message":"whisper.cpp failed (code 7)"}');
    expect(lines.filter((l) => l.includes('"result"'))).toEqual([]);
    const sse = await (await postAudio(base, { stream: "true" }, { headers: { accept: "text/event-stream" } })).text();
    expect(sse.trim().split("\n\n").at(-1)).toBe('data: {"type":"error","error":{"message":"whisper.cpp failed (code 7)","type":"server_error","param":null,"code":"internal_error"}}');
    engine.options.failWith = undefined;
    expect((await postAudio(base, { stream: "true" })).status).toBe(200);
  });

  test("word_timestamps adds each segment's words to NDJSON segment events", async () => {
    const lines = (await (await postAudio(base, { stream: "true", word_timestamps: "true" })).text()).trim().split("\n").map((l) => JSON.parse(l));
    expect(lines[1].words).toEqual([{ word: "Fake", start: 0, end: 0.7 }, { word: "one.", start: 0.7, end: 1.5 }]);
  });
});
