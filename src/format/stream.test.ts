import { describe, expect, test } from "bun:test";
import { SonaError } from "../errors.ts";
import { HELLO, seg, tok } from "./_fixtures.ts";
import { ndjsonEvent, sseEvent, type StreamEvent } from "./stream.ts";

const segment: StreamEvent = { type: "segment", segment: seg(0, 0, 250, " Hello world", [], 0.01) };
const failure = new SonaError("internal_error", "whisper: transcription failed with code 7");

describe("NDJSON (the original's events)", () => {
  test("exact lines", () => {
    expect(ndjsonEvent({ type: "progress", progress: 35 })).toBe('{"type":"progress","progress":35}\n');
    expect(ndjsonEvent(segment)).toBe('{"type":"segment","start":0,"end":2.5,"text":" Hello world","id":0,"no_speech_prob":0.01}\n');
    expect(ndjsonEvent({ type: "result", result: HELLO })).toBe(
      '{"type":"result","text":"Hello world How are you","language":"en","duration":5.1}\n',
    );
    expect(ndjsonEvent({ type: "error", error: failure })).toBe(
      '{"type":"error","code":"internal_error","message":"whisper: transcription failed with code 7"}\n',
    );
  });

  test("progress is an integer percentage", () => {
    expect(ndjsonEvent({ type: "progress", progress: 33.6 })).toBe('{"type":"progress","progress":34}\n');
    expect(ndjsonEvent({ type: "progress", progress: 120 })).toBe('{"type":"progress","progress":100}\n');
  });

  test("segment words only when asked", () => {
    const s = seg(2, 100, 200, " Hi there", [tok(" Hi", 100, 140), tok(" there", 140, 200)]);
    const line = JSON.parse(ndjsonEvent({ type: "segment", segment: s }, { words: true }));
    expect(line.words).toEqual([{ word: "Hi", start: 1, end: 1.4 }, { word: "there", start: 1.4, end: 2 }]);
    expect(JSON.parse(ndjsonEvent({ type: "segment", segment: s })).words).toBeUndefined();
  });

  test("a newline in text never splits the line", () => {
    const line = ndjsonEvent({ type: "segment", segment: seg(0, 0, 1, " a\nb") });
    expect(line.indexOf("\n")).toBe(line.length - 1);
  });
});

describe("SSE (OpenAI's events)", () => {
  test("exact events", () => {
    expect(sseEvent(segment)).toBe('data: {"type":"transcript.text.delta","delta":" Hello world"}\n\n');
    expect(sseEvent({ type: "result", result: HELLO })).toBe(
      'data: {"type":"transcript.text.done","text":"Hello world How are you","usage":{"type":"duration","seconds":6}}\n\n',
    );
    expect(sseEvent({ type: "progress", progress: 35 })).toBe(": progress 35\n\n");
  });

  test("errors carry OpenAI's error envelope, which openai-node throws as APIError", () => {
    expect(sseEvent({ type: "error", error: failure })).toBe(
      'data: {"type":"error","error":{"message":"whisper: transcription failed with code 7","type":"server_error","param":null,"code":"internal_error"}}\n\n',
    );
    const plain = sseEvent({ type: "error", error: { code: "aborted", message: "cancelled" } });
    expect(JSON.parse(plain.slice("data: ".length))).toEqual({
      type: "error",
      error: { message: "cancelled", type: "server_error", param: null, code: "aborted" },
    });
  });
});

describe("the official openai SDK reads our SSE", () => {
  // The SDK over a fetch that answers with our encoded events, no server involved.
  async function collect(events: StreamEvent[]): Promise<{ items: unknown[]; error?: unknown }> {
    const { default: OpenAI } = await import("openai");
    const body = events.map((e) => sseEvent(e)).join("");
    const fetch = async () => new Response(body, { headers: { "content-type": "text/event-stream" } });
    const client = new OpenAI({ apiKey: "sk-local", baseURL: "http://sona.test/v1", fetch, maxRetries: 0 });
    const stream = await client.audio.transcriptions.create({
      file: new File([new Uint8Array(4)], "a.wav"),
      model: "whisper-1",
      stream: true,
    });
    const items: unknown[] = [];
    try {
      for await (const ev of stream) items.push(ev);
    } catch (error) {
      return { items, error };
    }
    return { items };
  }

  test("progress comments are skipped, deltas and done come through", async () => {
    const { items, error } = await collect([{ type: "progress", progress: 0 }, segment, { type: "result", result: HELLO }]);
    expect(error).toBeUndefined();
    expect(items).toEqual([
      { type: "transcript.text.delta", delta: " Hello world" },
      { type: "transcript.text.done", text: "Hello world How are you", usage: { type: "duration", seconds: 6 } },
    ]);
  });

  test("an error event throws APIError with our code and message", async () => {
    const { items, error } = await collect([segment, { type: "error", error: failure }]);
    expect(items).toHaveLength(1);
    const { APIError } = await import("openai");
    expect(error).toBeInstanceOf(APIError);
    expect(error).toMatchObject({ code: "internal_error", type: "server_error", message: failure.message });
  });
});
