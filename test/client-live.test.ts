// SonaClient.live() against a real server on 127.0.0.1: real speech (espeak-ng, known silences),
// the real engine and Silero, a synthetic whisper model (times and events, never the text).
import { afterAll, beforeAll, expect, test } from "bun:test";
import { SonaClient, SonaClientError, type LiveServerEvent } from "../src/client/index.ts";
import { WhisperEngine } from "../src/engine/index.ts";
import { FakeEngine } from "./fake-engine.ts";
import { eventually, MICRO_EN, startTestServer } from "./helpers/server.ts";
import { spokenWithGaps, THREE_UTTERANCES, type SpokenAudio } from "./helpers/speech.ts";

const engine = new WhisperEngine();
const server = startTestServer(engine);
let spoken: SpokenAudio;

beforeAll(async () => {
  spoken = await spokenWithGaps(THREE_UTTERANCES.texts, THREE_UTTERANCES.gaps);
  await engine.load(MICRO_EN);
}, 60_000);
afterAll(async () => {
  await server.close();
  await engine.close();
});

test("live(): send the samples, stop, and the events hold three segments at the speech's times", async () => {
  const live = await new SonaClient(server.base).live({ partialMode: "off", language: "en" });
  const events: LiveServerEvent[] = [];
  const reading = (async () => {
    for await (const e of live) events.push(e);
  })();
  for (let i = 0; i < spoken.samples.length; i += 1600) live.send(spoken.samples.subarray(i, i + 1600));
  await live.stop();
  await reading;
  expect(events.map((e) => e.type)).toEqual(["segment", "segment", "segment", "stopped"]);
  for (const [i, e] of events.slice(0, 3).entries()) {
    if (e.type !== "segment") throw new Error("not a segment");
    expect(Math.abs(e.start - spoken.utterances[i]!.start)).toBeLessThanOrEqual(0.3);
    expect(Math.abs(e.end - spoken.utterances[i]!.end)).toBeLessThanOrEqual(0.3);
  }
  expect(await eventually(() => !server.app.sona.gate.busy, 5000)).toBe(true);
}, 120_000);

test("a busy server, no model, and a bad start are SonaClientErrors", async () => {
  const client = new SonaClient(server.base);
  const lease = server.app.sona.gate.tryAcquire()!;
  const busy = await client.live().catch((e) => e);
  lease.release();
  expect(busy).toBeInstanceOf(SonaClientError);
  expect([busy.status, busy.code]).toEqual([429, "busy"]);

  const bad = await client.live({ partialMode: "sometimes" as "off" }).catch((e) => e);
  expect([bad.code, bad.detail]).toEqual(["invalid_request", "invalid start message: partial_mode must be fixed, auto or off"]);
  expect(await eventually(() => !server.app.sona.gate.busy, 5000)).toBe(true);

  const empty = startTestServer(new FakeEngine());
  try {
    const none = await new SonaClient(empty.base).live().catch((e) => e);
    expect([none.status, none.code]).toEqual([503, "no_model"]);
  } finally {
    await empty.close();
  }
}, 60_000);
