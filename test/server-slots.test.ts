// `sona serve --parallel N --queue M` at the route level, on a fake engine whose transcriptions
// run until the test lets them finish: N at once, up to M waiting in order (a stream hears its
// place), the rest 429; a queued client that goes away never runs; loads wait for every slot.
// The real engine's slots are tested in test/engine-slots.test.ts.
import { afterEach, expect, test } from "bun:test";
import type { DecodeOptions, TranscribeHooks, TranscriptResult } from "../src/engine/index.ts";
import { FakeEngine } from "./fake-engine.ts";
import { MICRO_EN, postAudio, startTestServer, type TestServer } from "./helpers/server.ts";

/** Every transcription waits for `finish()`, in the order they started; `started` says who runs. */
class HeldEngine extends FakeEngine {
  readonly started: string[] = [];
  active = 0;
  maxRunning = 0;
  private readonly held: Array<() => void> = [];

  override async transcribe(samples: Float32Array, options: DecodeOptions, hooks: TranscribeHooks = {}): Promise<TranscriptResult> {
    this.started.push(options.prompt ?? "?");
    this.maxRunning = Math.max(this.maxRunning, ++this.active);
    try {
      await new Promise<void>((resolve, reject) => {
        this.held.push(resolve);
        hooks.signal?.addEventListener("abort", () => reject(new Error("aborted")), { once: true });
      });
      return await super.transcribe(samples, options, hooks);
    } finally {
      this.active--;
    }
  }

  /** lets the oldest held transcription finish (waiting for one to be held) */
  async finish(): Promise<void> {
    while (this.held.length === 0) await Bun.sleep(5);
    this.held.shift()!();
  }

  async whenRunning(n: number): Promise<void> {
    while (this.active < n) await Bun.sleep(5);
  }
}

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function start(options: { parallel?: number; queue?: number; queueTimeoutMs?: number }) {
  const engine = new HeldEngine();
  await engine.load(MICRO_EN);
  server = startTestServer(engine, options);
  return { engine, base: server.base };
}

const health = async (base: string) => (await (await fetch(`${base}/health`)).json()) as { slots: { busy: number; total: number; queued: number } };

test("--parallel 2: two run at once, a third gets 429 with Retry-After; /health counts the slots", async () => {
  const { engine, base } = await start({ parallel: 2 });
  const a = postAudio(base, { prompt: "a" });
  const b = postAudio(base, { prompt: "b" });
  await engine.whenRunning(2);
  expect((await health(base)).slots).toEqual({ busy: 2, total: 2, queued: 0 });
  const third = await postAudio(base, { prompt: "c" });
  expect(third.status).toBe(429);
  expect(Number(third.headers.get("retry-after"))).toBeGreaterThan(0);
  await engine.finish();
  await engine.finish();
  expect([(await a).status, (await b).status]).toEqual([200, 200]);
  expect([engine.started.sort(), engine.maxRunning]).toEqual([["a", "b"], 2]);
  expect((await health(base)).slots).toEqual({ busy: 0, total: 2, queued: 0 });
});

test("the default (no flags): one at a time, the second 429 at once", async () => {
  const { engine, base } = await start({});
  const a = postAudio(base, { prompt: "a" });
  await engine.whenRunning(1);
  expect((await postAudio(base, { prompt: "b" })).status).toBe(429);
  await engine.finish();
  expect((await a).status).toBe(200);
});

test("--queue 3: six at once; one runs, three finish in order after it, two get 429", async () => {
  const { engine, base } = await start({ queue: 3 });
  const first = postAudio(base, { prompt: "0" });
  await engine.whenRunning(1);
  // sent one after another (each in line before the next is sent), so their order is known
  const queued: Promise<Response>[] = [];
  for (const i of [1, 2, 3]) {
    queued.push(postAudio(base, { prompt: String(i) }));
    while ((await health(base)).slots.queued < i) await Bun.sleep(5);
  }
  const full = await Promise.all([postAudio(base, { prompt: "4" }), postAudio(base, { prompt: "5" })]);
  expect(full.map((r) => r.status)).toEqual([429, 429]);
  for (let i = 0; i < 4; i++) await engine.finish();
  expect(await Promise.all([first, ...queued].map(async (r) => (await r).status))).toEqual([200, 200, 200, 200]);
  expect([engine.started, engine.maxRunning]).toEqual([["0", "1", "2", "3"], 1]);
});

test("a queued client that disconnects leaves the queue at once and never runs", async () => {
  const { engine, base } = await start({ queue: 2 });
  const first = postAudio(base, { prompt: "first" });
  await engine.whenRunning(1);
  const gone = new AbortController();
  const leaving = postAudio(base, { prompt: "gone" }, { signal: gone.signal }).catch((e: Error) => e.name);
  while ((await health(base)).slots.queued < 1) await Bun.sleep(5);
  gone.abort();
  expect(await leaving).toBe("AbortError");
  while ((await health(base)).slots.queued > 0) await Bun.sleep(5);
  const next = postAudio(base, { prompt: "next" });
  while ((await health(base)).slots.queued < 1) await Bun.sleep(5);
  await engine.finish();
  await engine.finish();
  expect([(await first).status, (await next).status]).toEqual([200, 200]);
  expect(engine.started).toEqual(["first", "next"]);
});

test("a streamed request in the queue hears its place, then runs; the queue's wait is bounded", async () => {
  const { engine, base } = await start({ queue: 2, queueTimeoutMs: 60_000 });
  const first = postAudio(base, { prompt: "first" });
  await engine.whenRunning(1);
  const res = await postAudio(base, { prompt: "streamed", stream: "true" });
  expect(res.status).toBe(200);
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let text = "";
  while (!text.includes('"queued"')) text += decoder.decode((await reader.read()).value);
  await engine.finish();
  await engine.finish();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    text += decoder.decode(value);
  }
  const events = text.trim().split("\n").map((l) => JSON.parse(l) as { type: string; position?: number; progress?: number });
  expect(events.slice(0, 2)).toEqual([{ type: "progress", progress: 0 }, { type: "queued", position: 1 }]);
  expect(events.at(-1)!.type).toBe("result");
  expect((await first).status).toBe(200);
});

test("a queued request that waits past --queue-timeout gets 429", async () => {
  const { engine, base } = await start({ queue: 1, queueTimeoutMs: 50 });
  const first = postAudio(base, { prompt: "first" });
  await engine.whenRunning(1);
  const late = await postAudio(base, { prompt: "late" });
  expect(late.status).toBe(429);
  expect(((await late.json()) as { error: { message: string } }).error.message).toContain("--queue-timeout");
  await engine.finish();
  expect((await first).status).toBe(200);
  expect(engine.started).toEqual(["first"]);
});

test("a model load waits for every running slot, and transcriptions wait behind it", async () => {
  const { engine, base } = await start({ parallel: 2 });
  const a = postAudio(base, { prompt: "a" });
  const b = postAudio(base, { prompt: "b" });
  await engine.whenRunning(2);
  let loaded = false;
  const load = fetch(`${base}/v1/models/load`, { method: "POST", body: JSON.stringify({ path: MICRO_EN }) }).then((r) => ((loaded = true), r));
  while ((await health(base)).slots.queued < 1) await Bun.sleep(5);
  await engine.finish();
  await (await a).arrayBuffer();
  // a slot is free, but the load is first in line: a newcomer is refused, the load still waits
  expect((await postAudio(base, { prompt: "c" })).status).toBe(429);
  expect(loaded).toBe(false);
  await engine.finish();
  expect([(await b).status, (await load).status]).toEqual([200, 200]);
});
