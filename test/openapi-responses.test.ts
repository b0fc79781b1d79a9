// Sona's own /openapi.json accepts Sona's real responses: every route, every response format,
// both stream dialects (each event), and the errors, validated with ajv against the schema the
// document gives for that path, method, status and media type. The document is also linted with
// @redocly/cli's recommended rules, offline.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SonaError } from "../src/errors.ts";
import { FakeEngine } from "./fake-engine.ts";
import { OpenApiValidator } from "./helpers/openapi-validator.ts";
import { syntheticSpeech, wavBytes } from "./helpers/audio.ts";
import { audioForm, MICRO_EN, postAudio, startTestServer } from "./helpers/server.ts";

const engine = new FakeEngine();
const server = startTestServer(engine);
const keyed = startTestServer(new FakeEngine(), { apiKey: "secret" });
const small = startTestServer(engine, { maxUploadBytes: 10_000 });
const { base } = server;
const spec = await (await fetch(`${base}/openapi.json`)).json();
const validator = new OpenApiValidator(spec);
afterAll(async () => {
  await server.close();
  await keyed.close();
  await small.close();
});

const TRANSCRIBE = "/v1/audio/transcriptions";
const mediaType = (res: Response) => (res.headers.get("content-type") ?? "").split(";")[0]!.trim();

/** Validates a finished response against the document; returns the parsed body. */
async function expectDocumented(res: Response, path: string, method: string): Promise<unknown> {
  const type = mediaType(res);
  const text = await res.text();
  const fn = validator.response(path, method, res.status, type);
  const what = `${method} ${path} ${res.status} ${type}`;
  if (type === "application/x-ndjson") {
    const lines = text.trimEnd().split("\n").map((l) => JSON.parse(l));
    for (const line of lines) OpenApiValidator.check(fn, line, what);
    return lines;
  }
  if (type === "text/event-stream") {
    const events = text.split("\n\n").filter((chunk) => chunk.startsWith("data: ")).map((chunk) => JSON.parse(chunk.slice(6)));
    expect(events.length).toBeGreaterThan(0);
    for (const event of events) OpenApiValidator.check(fn, event, what);
    return events;
  }
  const body = type === "application/json" ? JSON.parse(text) : text;
  OpenApiValidator.check(fn, body, what);
  return body;
}

describe("every response matches /openapi.json", () => {
  test("runner and model routes, before and after a load", async () => {
    await expectDocumented(await fetch(`${base}/health`), "/health", "GET");
    await expectDocumented(await fetch(`${base}/skill`), "/skill", "GET");
    await expectDocumented(await fetch(`${base}/ready`), "/ready", "GET");
    await expectDocumented(await postAudio(base), TRANSCRIBE, "POST"); // 503 no_model
    const load = await fetch(`${base}/v1/models/load`, { method: "POST", body: JSON.stringify({ path: MICRO_EN }) });
    expect(load.status).toBe(200);
    await expectDocumented(load, "/v1/models/load", "POST");
    await expectDocumented(await fetch(`${base}/v1/models/load`, { method: "POST", body: "{}" }), "/v1/models/load", "POST"); // 400
    await expectDocumented(await fetch(`${base}/ready`), "/ready", "GET");
    const list = (await expectDocumented(await fetch(`${base}/v1/models`), "/v1/models", "GET")) as { data: { id: string }[] };
    const one = await fetch(`${base}/v1/models/${list.data[0]!.id}`);
    expect(one.status).toBe(200);
    await expectDocumented(one, "/v1/models/{id}", "GET");
    await expectDocumented(await fetch(`${base}/v1/models/whisper-1`), "/v1/models/{id}", "GET"); // 404
    await expectDocumented(await fetch(`${base}/v1/models`, { method: "DELETE" }), "/v1/models", "DELETE");
    await engine.load(MICRO_EN);
  });

  const bodies: [string, Record<string, string | string[]>][] = [
    ["json", {}],
    ["json with logprobs", { "include[]": "logprobs" }],
    ["verbose_json", { response_format: "verbose_json" }],
    ["verbose_json with words and segments", { response_format: "verbose_json", "timestamp_granularities[]": ["word", "segment"] }],
    ["verbose_json with words only", { response_format: "verbose_json", "timestamp_granularities[]": "word" }],
    ["text", { response_format: "text" }],
    ["srt", { response_format: "srt" }],
    ["vtt", { response_format: "vtt" }],
    ["an NDJSON stream with words", { stream: "true", word_timestamps: "true" }],
    ["an SSE stream with logprobs", { stream: "true", "include[]": "logprobs" }],
  ];
  for (const [name, fields] of bodies) {
    test(`transcriptions and translations: ${name}`, async () => {
      await engine.load(MICRO_EN);
      const headers = name.includes("SSE") ? { accept: "text/event-stream" } : undefined;
      for (const path of [TRANSCRIBE, "/v1/audio/translations"]) {
        const res = await postAudio(base, fields, { headers }, path);
        expect(res.status).toBe(200);
        await expectDocumented(res, path, "POST");
      }
    });
  }

  test("speech detection and stereo speakers: /v1/audio/vad, verbose_json with speaker, diarized_json, its SSE stream", async () => {
    await expectDocumented(await fetch(`${base}/v1/audio/vad`, { method: "POST", body: audioForm() }), "/v1/audio/vad", "POST");
    await expectDocumented(await fetch(`${base}/v1/audio/vad`, { method: "POST", body: audioForm({ vad_threshold: "2" }) }), "/v1/audio/vad", "POST"); // 400
    await engine.load(MICRO_EN);
    const tone = syntheticSpeech(3);
    const stereo = wavBytes(tone, 16000, tone.map((x) => x / 2));
    const post = (fields: Record<string, string>, headers?: Record<string, string>) =>
      fetch(base + TRANSCRIBE, { method: "POST", body: audioForm(fields, stereo), headers });
    const verbose = (await expectDocumented(await post({ response_format: "verbose_json", diarize: "true" }), TRANSCRIBE, "POST")) as { segments: { speaker: number }[] };
    expect(verbose.segments.every((s) => s.speaker === 0)).toBe(true);
    await expectDocumented(await post({ response_format: "diarized_json" }), TRANSCRIBE, "POST");
    const events = (await expectDocumented(await post({ response_format: "diarized_json", stream: "true" }, { accept: "text/event-stream" }), TRANSCRIBE, "POST")) as { type: string }[];
    expect(events.some((e) => e.type === "transcript.text.segment")).toBe(true);
  });

  test("a failure mid-stream, in both dialects", async () => {
    engine.options.failWith = new SonaError("internal_error", "whisper.cpp failed");
    try {
      for (const accept of ["application/x-ndjson", "text/event-stream"]) {
        const events = (await expectDocumented(await postAudio(base, { stream: "true" }, { headers: { accept } }), TRANSCRIBE, "POST")) as { type: string }[];
        expect(events.at(-1)!.type).toBe("error");
      }
    } finally {
      engine.options.failWith = undefined;
    }
  });

  test("errors: 400, 401, 403, 413, 429", async () => {
    await expectDocumented(await postAudio(base, { temperature: "warm" }), TRANSCRIBE, "POST");
    await expectDocumented(await fetch(`${keyed.base}/v1/models`), "/v1/models", "GET");
    await expectDocumented(await fetch(`${base}/ready`, { headers: { origin: "https://example.com" } }), "/ready", "GET");
    const tooLarge = await postAudio(small.base);
    expect(tooLarge.status).toBe(413);
    await expectDocumented(tooLarge, TRANSCRIBE, "POST");
    engine.options.stepMs = 100;
    try {
      const running = postAudio(base);
      while (!server.app.sona.gate.busy) await Bun.sleep(2);
      const busy = await postAudio(base);
      expect(busy.status).toBe(429);
      await expectDocumented(busy, TRANSCRIBE, "POST");
      await (await running).text();
    } finally {
      engine.options.stepMs = 0;
    }
  });
});

describe("@redocly/cli lint", () => {
  let dir: string;
  beforeAll(() => (dir = mkdtempSync(join(tmpdir(), "sona-redocly-"))));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test("the document passes the recommended rules with no errors and no warnings", async () => {
    const file = join(dir, "openapi.json");
    writeFileSync(file, JSON.stringify(spec));
    const bin = join(import.meta.dir, "../node_modules/.bin/redocly");
    // offline: no telemetry, no update check; the recommended ruleset is built in
    const env = { ...process.env, REDOCLY_TELEMETRY: "off", REDOCLY_SUPPRESS_UPDATE_NOTICE: "true", NO_COLOR: "1" };
    const proc = Bun.spawn([bin, "lint", "--extends=recommended", "--format=stylish", file], { cwd: dir, env, stdout: "pipe", stderr: "pipe" });
    const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
    const report = `${out}\n${err}`;
    expect(report).toContain("Woohoo! Your API description is valid");
    // a problem is a line "  12:5  warning  rule-name  ..." (the Node 20 deprecation banner is not)
    expect(report).not.toMatch(/^\s*\d+:\d+\s+(warning|error)\b/m);
    expect(code).toBe(0);
  }, 120_000);
});
