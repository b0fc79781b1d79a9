// Memory follows the open utterance, not the session: long streams of silence, of speech that never
// pauses, and of both, through a session on the fake engine (its VAD: loud is speech).
import { expect, test } from "bun:test";
import { FakeEngine } from "../../test/fake-engine.ts";
import { parseOptions } from "../options.ts";
import { DEFAULT_TURN_OPTIONS, LiveSession, MAX_UTTERANCE_S, type LiveEvent } from "./index.ts";

const RATE = 16000;

async function stream(minutes: number, loud: (second: number) => boolean): Promise<{ peak: number; events: LiveEvent[] }> {
  const engine = new FakeEngine();
  await engine.load("/models/fake.en.bin");
  const events: LiveEvent[] = [];
  const session = new LiveSession({
    engine,
    vadModelPath: "/unused",
    decode: { ...parseOptions({}), vad: undefined },
    turns: DEFAULT_TURN_OPTIONS,
    partialMode: "off",
    onEvent: (e) => events.push(e),
  });
  let peak = 0;
  const second = new Float32Array(RATE);
  for (let s = 0; s < minutes * 60; s++) {
    second.fill(loud(s) ? 0.5 : 0.001);
    session.push(second);
    // a real-time client: the next second is sent once this one is handled
    await session.handled();
    peak = Math.max(peak, session.heldSamples);
  }
  session.close();
  return { peak, events };
}

test("ten minutes of silence hold a pre-roll, not the stream", async () => {
  const { peak, events } = await stream(10, () => false);
  expect(events).toHaveLength(0);
  expect(peak).toBeLessThanOrEqual(2 * RATE);
}, 60_000);

test("ten minutes of speech that never pauses hold one utterance at most", async () => {
  const { peak, events } = await stream(10, () => true);
  expect(events.filter((e) => e.type === "utterance").length).toBeGreaterThanOrEqual((10 * 60) / MAX_UTTERANCE_S - 1);
  expect(peak).toBeLessThanOrEqual(2 * (MAX_UTTERANCE_S + 2) * RATE);
}, 60_000);

test("ten minutes of talk and pauses: every utterance comes out, memory stays small", async () => {
  // 4 s of speech, 3 s of silence, over and over
  const { peak, events } = await stream(10, (s) => s % 7 < 4);
  expect(events.filter((e) => e.type === "utterance")).toHaveLength(Math.ceil((10 * 60) / 7));
  expect(peak).toBeLessThanOrEqual(8 * RATE);
}, 60_000);
