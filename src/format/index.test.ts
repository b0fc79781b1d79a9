import { describe, expect, test } from "bun:test";
import { HELLO, result, seg } from "./_fixtures.ts";
import { formatResult, isResponseFormat, RESPONSE_FORMATS } from "./index.ts";

const EMPTY = result([]);

describe("json and text", () => {
  test("json is {text, usage} with OpenAI's trimmed text and duration usage", () => {
    expect(formatResult(HELLO, "json", {})).toEqual({
      body: '{"text":"Hello world How are you","usage":{"type":"duration","seconds":6}}',
      contentType: "application/json",
    });
  });

  test("text is the raw text plus one newline, as text/plain utf-8", () => {
    expect(formatResult(HELLO, "text", {})).toEqual({ body: "Hello world How are you\n", contentType: "text/plain; charset=utf-8" });
  });

  test("no segments give empty text", () => {
    expect(JSON.parse(formatResult(EMPTY, "json", {}).body).text).toBe("");
    expect(formatResult(EMPTY, "text", {}).body).toBe("\n");
  });

  test("non-ASCII text survives unescaped", () => {
    const r = result([seg(0, 0, 100, " שלום"), seg(1, 100, 200, " 世界")]);
    expect(formatResult(r, "json", {}).body).toStartWith('{"text":"שלום 世界",');
  });
});

describe("srt and vtt match the original byte for byte", () => {
  test("srt", () => {
    expect(formatResult(HELLO, "srt", {})).toEqual({
      body: "1\n00:00:00,000 --> 00:00:02,500\nHello world\n\n2\n00:00:02,500 --> 00:00:05,100\nHow are you\n",
      contentType: "text/plain; charset=utf-8",
    });
  });

  test("vtt", () => {
    expect(formatResult(HELLO, "vtt", {})).toEqual({
      body: "WEBVTT\n\n00:00:00.000 --> 00:00:02.500\nHello world\n\n00:00:02.500 --> 00:00:05.100\nHow are you\n",
      contentType: "text/plain; charset=utf-8",
    });
  });

  test("zero segments", () => {
    expect(formatResult(EMPTY, "srt", {}).body).toBe("");
    expect(formatResult(EMPTY, "vtt", {}).body).toBe("WEBVTT\n\n");
  });

  test("hours are not wrapped and grow past two digits", () => {
    const r = result([seg(0, 360000, 366150, " late"), seg(1, 36_000_000, 36_000_001, " later")]);
    expect(formatResult(r, "srt", {}).body).toBe(
      "1\n01:00:00,000 --> 01:01:01,500\nlate\n\n2\n100:00:00,000 --> 100:00:00,010\nlater\n",
    );
    expect(formatResult(r, "vtt", {}).body).toContain("01:00:00.000 --> 01:01:01.500\nlate\n");
  });

  test("every centisecond prints as exact milliseconds", () => {
    const r = result([seg(0, 1, 5999, " a"), seg(1, 6001, 359_999, " b")]);
    expect(formatResult(r, "srt", {}).body).toBe(
      "1\n00:00:00,010 --> 00:00:59,990\na\n\n2\n00:01:00,010 --> 00:59:59,990\nb\n",
    );
  });

  test("segments with empty text keep their cue, like the original", () => {
    const r = result([seg(0, 0, 100, " "), seg(1, 100, 200, " hi ")]);
    expect(formatResult(r, "srt", {}).body).toBe("1\n00:00:00,000 --> 00:00:01,000\n\n\n2\n00:00:01,000 --> 00:00:02,000\nhi\n");
  });
});

test("every format is known by name and renders", () => {
  for (const f of RESPONSE_FORMATS) {
    expect(isResponseFormat(f)).toBe(true);
    expect(typeof formatResult(HELLO, f, {}).body).toBe("string");
  }
  expect(isResponseFormat("tsv")).toBe(false);
  expect(isResponseFormat(undefined)).toBe(false);
});

test("the official openai SDK returns text/srt/vtt as strings and json/verbose_json/diarized_json as objects", async () => {
  const { default: OpenAI } = await import("openai");
  for (const format of RESPONSE_FORMATS) {
    const { body, contentType } = formatResult(HELLO, format, {});
    const fetch = async () => new Response(body, { headers: { "content-type": contentType } });
    const client = new OpenAI({ apiKey: "sk-local", baseURL: "http://sona.test/v1", fetch, maxRetries: 0 });
    const got: unknown = await client.audio.transcriptions.create({
      file: new File([new Uint8Array(4)], "a.wav"),
      model: "whisper-1",
      response_format: format,
    });
    if (format.endsWith("json")) expect(got).toMatchObject(JSON.parse(body));
    else expect(got).toBe(body);
  }
});
