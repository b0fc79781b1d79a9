// The optional API key (--api-key / SONA_API_KEY): every route but /health needs the Bearer token,
// checked before anything else, and the official OpenAI SDK's apiKey satisfies it.
import { afterAll, expect, test } from "bun:test";
import OpenAI from "openai";
import { FakeEngine } from "./fake-engine.ts";
import { audioForm, startTestServer } from "./helpers/server.ts";

const engine = new FakeEngine();
await engine.load("fake.bin");
const server = startTestServer(engine, { apiKey: "s3cret" });
afterAll(() => server.close());

test("no key or a wrong key is 401 unauthorized, in the error format", async () => {
  for (const headers of [{} as Record<string, string>, { authorization: "Bearer wrong" }, { authorization: "Bearer s3cret-and-more" }, { authorization: "s3cret" }]) {
    const res = await fetch(`${server.base}/v1/models`, { headers });
    expect(res.status).toBe(401);
    expect((await res.json()).error).toMatchObject({ code: "unauthorized", type: "invalid_request_error" });
  }
  const upload = await fetch(`${server.base}/v1/audio/transcriptions`, { method: "POST", body: audioForm() });
  expect(upload.status).toBe(401);
  expect(server.leftovers()).toEqual([]);
});

test("/health stays open; the right key opens everything else", async () => {
  expect((await fetch(`${server.base}/health`)).status).toBe(200);
  const res = await fetch(`${server.base}/v1/models`, { headers: { authorization: "Bearer s3cret" } });
  expect(res.status).toBe(200);
});

test("the OpenAI SDK's apiKey is the key", async () => {
  const ok = new OpenAI({ baseURL: `${server.base}/v1`, apiKey: "s3cret", maxRetries: 0 });
  expect((await ok.models.list()).data.length).toBe(1);
  const bad = new OpenAI({ baseURL: `${server.base}/v1`, apiKey: "nope", maxRetries: 0 });
  const err = await bad.models.list().then(() => null, (e: unknown) => e);
  expect(err).toBeInstanceOf(OpenAI.AuthenticationError);
});
