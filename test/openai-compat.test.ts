// OpenAI's fields and shapes, as third-party clients see them: the official `openai` npm client,
// the Vercel AI SDK (`experimental_transcribe` over @ai-sdk/openai), and ajv against the response
// schemas of OpenAI's own published OpenAPI document (test/fixtures/openai-response-schemas.json,
// an excerpt with its source noted). The fake engine gives fixed results (two segments, 3 s).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createOpenAI } from "@ai-sdk/openai";
import { experimental_transcribe as transcribe } from "ai";
import OpenAI, { BadRequestError, NotFoundError, toFile } from "openai";
import openaiSchemas from "./fixtures/openai-response-schemas.json" with { type: "json" };
import { FakeEngine } from "./fake-engine.ts";
import { OpenApiValidator } from "./helpers/openapi-validator.ts";
import { MICRO, postAudio, startTestServer, testWav } from "./helpers/server.ts";

const engine = new FakeEngine();
const server = startTestServer(engine);
const client = new OpenAI({ apiKey: "sona", baseURL: `${server.base}/v1`, maxRetries: 0 });
const openai = new OpenApiValidator(openaiSchemas, "openai.json");
const schema = (name: string) => openai.at(`/components/schemas/${name}`);
const wav = () => toFile(testWav(), "speech.wav");
beforeAll(() => engine.load(MICRO));
afterAll(() => server.close());

describe("the openai npm client", () => {
  test("json carries OpenAI's duration usage, and matches OpenAI's json schema", async () => {
    const json = await client.audio.transcriptions.create({ file: await wav(), model: "whisper-1" });
    expect(json.usage).toEqual({ type: "duration", seconds: 3 });
    expect(json.logprobs).toBeUndefined();
    OpenApiValidator.check(schema("CreateTranscriptionResponseJson"), json, "json");
  });

  test("include: ['logprobs'] gives every text token's logprob and bytes", async () => {
    const json = await client.audio.transcriptions.create({ file: await wav(), model: "whisper-1", include: ["logprobs"] });
    expect(json.logprobs!.map((l) => l.token)).toEqual([" Fake", " one", ".", " Fake", " two", "."]);
    for (const l of json.logprobs!) {
      expect(l.logprob).toBeCloseTo(Math.log(0.9), 6);
      expect(l.bytes).toEqual([...new TextEncoder().encode(l.token)]);
    }
    OpenApiValidator.check(schema("CreateTranscriptionResponseJson"), json, "json with logprobs");
  });

  test("verbose_json matches OpenAI's verbose schema; a translation's language is english", async () => {
    const verbose = await client.audio.transcriptions.create({ file: await wav(), model: "whisper-1", response_format: "verbose_json", timestamp_granularities: ["word", "segment"] });
    OpenApiValidator.check(schema("CreateTranscriptionResponseVerboseJson"), verbose, "verbose_json");
    // the fake reports the language it was given: German speech, translated
    const translated = await client.audio.translations.create({ file: await wav(), model: "whisper-1", response_format: "verbose_json", language: "de" } as OpenAI.Audio.TranslationCreateParams);
    expect(translated).toMatchObject({ language: "english", text: "Fake one. Fake two." });
    OpenApiValidator.check(schema("CreateTranslationResponseVerboseJson"), translated, "translation verbose_json");
    const json = await client.audio.translations.create({ file: await wav(), model: "whisper-1" });
    OpenApiValidator.check(schema("CreateTranslationResponseJson"), json, "translation json");
  });

  test("stream: done carries the duration usage; each event matches OpenAI's event schema", async () => {
    const stream = await client.audio.transcriptions.create({ file: await wav(), model: "whisper-1", stream: true, include: ["logprobs"] });
    const events: OpenAI.Audio.TranscriptionStreamEvent[] = [];
    for await (const event of stream) events.push(event);
    const deltas = events.filter((e) => e.type === "transcript.text.delta");
    expect(deltas.map((d) => d.logprobs!.length)).toEqual([3, 3]);
    for (const d of deltas) OpenApiValidator.check(schema("TranscriptTextDeltaEvent"), d, "delta");
    const done = events.at(-1) as OpenAI.Audio.TranscriptionTextDoneEvent;
    expect(done.type).toBe("transcript.text.done");
    expect(done.logprobs).toHaveLength(6);
    const { usage, ...rest } = done;
    expect(usage as unknown).toEqual({ type: "duration", seconds: 3 });
    // OpenAI's done event documents token usage only (gpt-4o-transcribe); Sona sends the duration
    // usage of its json response there instead, which matches OpenAI's duration usage schema
    OpenApiValidator.check(schema("TranscriptTextDoneEvent"), rest, "done without usage");
    OpenApiValidator.check(schema("TranscriptTextUsageDuration"), usage, "done's usage");
  });

  test("stream with response_format srt or vtt is a BadRequestError naming response_format", async () => {
    for (const format of ["srt", "vtt"] as const) {
      const err = await client.audio.transcriptions.create({ file: await wav(), model: "whisper-1", stream: true, response_format: format }).then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(BadRequestError);
      expect(err).toMatchObject({ param: "response_format", code: "invalid_request" });
    }
  });

  test("models.list and models.retrieve; an unknown id is a NotFoundError", async () => {
    const list = await client.models.list();
    const [model] = list.data;
    expect(model!.id).toBe("synth-micro.bin");
    const one = await client.models.retrieve(model!.id);
    expect(one).toEqual(model!);
    OpenApiValidator.check(schema("Model"), one, "model");
    OpenApiValidator.check(schema("ListModelsResponse"), { object: list.object ?? "list", data: list.data }, "model list");
    const err = await client.models.retrieve("whisper-1").then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(NotFoundError);
    expect(err).toMatchObject({ code: "model_not_found", param: "model" });
  });

  test("errors match OpenAI's ErrorResponse", async () => {
    const res = await postAudio(server.base, { temperature: "warm" });
    OpenApiValidator.check(schema("ErrorResponse"), await res.json(), "error");
  });
});

describe("include[]=logprobs elsewhere", () => {
  test("NDJSON segment events carry their tokens' logprobs", async () => {
    const res = await postAudio(server.base, { stream: "true", "include[]": "logprobs" });
    const segments = (await res.text()).trimEnd().split("\n").map((l) => JSON.parse(l)).filter((e) => e.type === "segment");
    expect(segments.map((s) => s.logprobs.map((l: { token: string }) => l.token))).toEqual([[" Fake", " one", "."], [" Fake", " two", "."]]);
  });

  test("with verbose_json, text, srt or vtt (not streamed) it is a 400 naming include[], as OpenAI's", async () => {
    for (const format of ["verbose_json", "text", "srt", "vtt"]) {
      const res = await postAudio(server.base, { response_format: format, "include[]": "logprobs" });
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: { param: string } }).error.param).toBe("include[]");
    }
  });
});

describe("form fields as other clients send them", () => {
  test("timestamp_granularities without [] is read like timestamp_granularities[]", async () => {
    const res = await postAudio(server.base, { response_format: "verbose_json", timestamp_granularities: "word" });
    const body = (await res.json()) as { words?: unknown[]; segments?: unknown[] };
    expect(body.words).toHaveLength(4);
    expect(body.segments).toBeUndefined();
  });

  test("include without [] works too, and both names together merge", async () => {
    const one = (await (await postAudio(server.base, { include: "logprobs" })).json()) as { logprobs?: unknown[] };
    expect(one.logprobs).toHaveLength(6);
    const both = await postAudio(server.base, { response_format: "verbose_json", timestamp_granularities: "word", "timestamp_granularities[]": "segment" });
    const body = (await both.json()) as { words?: unknown[]; segments?: unknown[] };
    expect(body.words).toHaveLength(4);
    expect(body.segments).toHaveLength(2);
  });
});

describe("the Vercel AI SDK", () => {
  const provider = createOpenAI({ apiKey: "sona", baseURL: `${server.base}/v1` });

  test("a json model reads the duration from usage", async () => {
    // @ai-sdk/openai asks gpt-4o-mini-transcribe for json, whose only duration is `usage`
    const result = await transcribe({ model: provider.transcription("gpt-4o-mini-transcribe"), audio: testWav(), maxRetries: 0 });
    expect(result.text).toBe("Fake one. Fake two.");
    expect(result.durationInSeconds).toBe(3);
  });

  test("whisper-1 gets verbose_json: segments, language and duration", async () => {
    const result = await transcribe({ model: provider.transcription("whisper-1"), audio: testWav(), maxRetries: 0, providerOptions: { openai: { timestampGranularities: ["segment"] } } });
    expect(result.text).toBe("Fake one. Fake two.");
    expect(result.language).toBe("en");
    expect(result.durationInSeconds).toBe(3);
    expect(result.segments).toEqual([
      { text: " Fake one.", startSecond: 0, endSecond: 1.5 },
      { text: " Fake two.", startSecond: 1.5, endSecond: 3 },
    ]);
  });
});
