// Cancel, then ask again: a client that disconnects mid-inference and at once sends its next
// request must not get 429 because the abort is still landing (0.1-0.2 s with whisper.cpp). The
// new request waits for the leaving holder, for a bounded time (LEAVING_WAIT_MS); a holder that is
// not leaving still means 429 at once.
import { afterAll, expect, test } from "bun:test";
import type { DecodeOptions, TranscribeHooks, TranscriptResult } from "../src/engine/index.ts";
import { SonaError } from "../src/errors.ts";
import { FakeEngine } from "./fake-engine.ts";
import { eventually, postAudio, startTestServer } from "./helpers/server.ts";

/** The first call runs until aborted, then takes `lagMs` more to give up; later calls are quick. */
class SlowAbortEngine extends FakeEngine {
  readonly log: string[] = [];
  abortSeen = false;
  hang = true;
  constructor(readonly lagMs: number) {
    super();
  }

  override async transcribe(samples: Float32Array, options: DecodeOptions, hooks: TranscribeHooks = {}): Promise<TranscriptResult> {
    if (!this.hang) {
      this.log.push("quick start");
      try {
        return await super.transcribe(samples, options, hooks);
      } finally {
        this.log.push("quick end");
      }
    }
    this.hang = false;
    this.running = true;
    this.log.push("slow start");
    try {
      await new Promise<void>((resolve) => hooks.signal?.addEventListener("abort", () => resolve(), { once: true }));
      this.abortSeen = true;
      await Bun.sleep(this.lagMs); // the abort is still landing
      throw new SonaError("aborted", "transcription aborted");
    } finally {
      this.log.push("slow end");
      this.running = false;
    }
  }
}

async function startSlow(engine: SlowAbortEngine) {
  await engine.load("fake.bin");
  const server = startTestServer(engine);
  const ac = new AbortController();
  const first = postAudio(server.base, {}, { signal: ac.signal }).catch(() => null);
  expect(await eventually(() => engine.running, 10_000)).toBe(true);
  return { server, ac, first };
}

const servers: { close(): Promise<void> }[] = [];
afterAll(() => Promise.all(servers.map((s) => s.close())));

test("a request right after a cancel waits for the abort to land, instead of 429", async () => {
  const engine = new SlowAbortEngine(500);
  const { server, ac, first } = await startSlow(engine);
  servers.push(server);
  // still running, not leaving: the usual 429
  expect((await postAudio(server.base)).status).toBe(429);
  ac.abort();
  await first;
  // the server has seen the disconnect and the engine is still giving up: now ask again
  expect(await eventually(() => engine.abortSeen, 10_000)).toBe(true);
  const again = await postAudio(server.base);
  expect(again.status).toBe(200);
  expect((await again.json()).text).toBe("Fake one. Fake two.");
  // it ran after the cancelled job had let go of the gate, never beside it
  expect(engine.log).toEqual(["slow start", "slow end", "quick start", "quick end"]);
  expect(server.leftovers()).toEqual([]);
}, 60_000);

test("the wait is bounded: a holder that takes longer to leave still means 429", async () => {
  const engine = new SlowAbortEngine(8000); // far beyond LEAVING_WAIT_MS (2 s)
  const { server, ac, first } = await startSlow(engine);
  servers.push(server);
  ac.abort();
  await first;
  expect(await eventually(() => engine.abortSeen, 10_000)).toBe(true);
  const res = await postAudio(server.base);
  expect(res.status).toBe(429);
  expect(res.headers.get("retry-after")).toBe("1");
  expect(engine.log).toEqual(["slow start"]); // answered while the first job was still leaving
  // once it has left, the next request works
  expect(await eventually(() => !server.app.sona.gate.busy, 30_000)).toBe(true);
  expect((await postAudio(server.base)).status).toBe(200);
}, 60_000);
