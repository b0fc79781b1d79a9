// The clients' opt-in busy retry (SonaClientOptions.retryBusy) against the real app on 127.0.0.1:
// a recording front counts what the server saw and when, so the wait between a 429 and the retry
// is checked against the retry-after-ms that 429 carried, never against a fixed time. The fake
// job's progress sets that value: at 99 % the server's estimate is its floor (100 ms), at 1 % it
// is 99 times the time so far (long enough to abort in the middle of). spawnSona's --parallel and
// --queue pass-through runs the real dev CLI.
import { afterEach, describe, expect, test } from "bun:test";
import { busyWaitMs, retryPolicy } from "../src/client/retry.ts";
import { SonaClient, SonaClientError, spawnSona, type StreamEvent } from "../src/client/index.ts";
import { HeldEngine } from "./helpers/held-engine.ts";
import { MICRO_EN, startTestServer, testWav, type TestServer } from "./helpers/server.ts";
import { SONA } from "./helpers/sona-binary.ts";

/** What the server saw of one request: when it came, when its answer's head left, and that answer. */
interface Seen {
  path: string;
  arrivedAt: number;
  answeredAt?: number;
  status?: number;
  retryAfterMs?: number;
}

let server: TestServer | undefined;
let front: ReturnType<typeof Bun.serve> | undefined;
afterEach(async () => {
  front?.stop(true);
  await server?.close();
  server = front = undefined;
});

/** The app on a fake engine, behind a front that forwards every request and records it. */
async function start(engine: HeldEngine, { load = true } = {}) {
  if (load) await engine.load(MICRO_EN);
  server = startTestServer(engine);
  const backend = server.base;
  const seen: Seen[] = [];
  front = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(req) {
      const url = new URL(req.url);
      const entry: Seen = { path: url.pathname, arrivedAt: performance.now() };
      seen.push(entry);
      const body = req.method === "GET" ? undefined : await req.arrayBuffer();
      const res = await fetch(backend + url.pathname + url.search, { method: req.method, headers: req.headers, body, signal: req.signal });
      entry.answeredAt = performance.now();
      entry.status = res.status;
      if (res.headers.has("retry-after-ms")) entry.retryAfterMs = Number(res.headers.get("retry-after-ms"));
      return new Response(res.body, { status: res.status, headers: res.headers });
    },
  });
  const base = `http://127.0.0.1:${front.port}`;
  const transcriptions = () => seen.filter((s) => s.path === "/v1/audio/transcriptions");
  return { base, seen: transcriptions };
}

async function rejection(p: Promise<unknown>): Promise<SonaClientError> {
  const e = await p.then(() => undefined, (err: unknown) => err);
  if (e instanceof SonaClientError) return e;
  throw e ?? new Error("expected a SonaClientError");
}

/** Every retry came after the wait the busy answer before it asked for. */
function expectWaitsHonoured(requests: Seen[]): void {
  for (let i = 1; i < requests.length; i++) {
    const before = requests[i - 1]!;
    expect(before.status).toBe(429);
    expect(requests[i]!.arrivedAt - before.answeredAt!).toBeGreaterThanOrEqual(before.retryAfterMs!);
  }
}

const WAV = testWav();

describe("busy retry (retryBusy)", () => {
  test("off by default: a second concurrent transcription throws busy, sent once", async () => {
    const engine = new HeldEngine(99);
    const { base, seen } = await start(engine);
    const client = new SonaClient(base);
    const first = client.transcribe(WAV);
    await engine.whenRunning();
    const e = await rejection(client.transcribe(WAV));
    expect([e.status, e.code]).toEqual([429, "busy"]);
    expect(e.retryAfter).toBe(1);
    expect(seen().map((s) => s.status)).toEqual([undefined, 429]);
    await engine.finish();
    expect((await first).text).toBe("Fake one. Fake two.");
  }, 30_000);

  test("on: the busy one waits what retry-after-ms says, retries, and succeeds after the first", async () => {
    const engine = new HeldEngine(99);
    const { base, seen } = await start(engine);
    const client = new SonaClient(base, { retryBusy: { retries: 1000, maxWaitMs: 30_000 } });
    const first = client.transcribe(WAV);
    await engine.whenRunning();
    const second = client.transcribe(WAV, { responseFormat: "text" });
    while (seen().filter((s) => s.status === 429).length < 2) await Bun.sleep(5); // it has retried
    await engine.finish();
    expect((await first).text).toBe("Fake one. Fake two.");
    await engine.finish();
    expect(await second).toBe("Fake one. Fake two.\n");
    const [, ...retried] = seen();
    expect(retried.at(-1)!.status).toBe(200);
    expect(retried.slice(0, -1).every((s) => s.status === 429 && s.retryAfterMs! >= 100)).toBe(true);
    expectWaitsHonoured(retried);
  }, 60_000);

  test("on: transcribeStream retries before its stream starts", async () => {
    const engine = new HeldEngine(99);
    const { base, seen } = await start(engine);
    const client = new SonaClient(base, { retryBusy: true });
    const first = client.transcribe(WAV);
    await engine.whenRunning();
    const events: StreamEvent[] = [];
    const streamed = (async () => {
      for await (const event of client.transcribeStream(WAV)) events.push(event);
    })();
    while (seen().filter((s) => s.status === 429).length < 1) await Bun.sleep(5);
    await engine.finish();
    await first;
    await engine.finish();
    await streamed;
    expect(events.at(-1)!.type).toBe("result");
    const [, ...retried] = seen();
    expect(retried.length).toBeGreaterThanOrEqual(2);
    expect(retried.at(-1)!.status).toBe(200);
    expectWaitsHonoured(retried);
  }, 60_000);

  test("after the last retry the busy error is thrown", async () => {
    const engine = new HeldEngine(99);
    const { base, seen } = await start(engine);
    const client = new SonaClient(base, { retryBusy: { retries: 2 } });
    const first = client.transcribe(WAV);
    await engine.whenRunning();
    const e = await rejection(client.transcribe(WAV));
    expect([e.status, e.code]).toEqual([429, "busy"]);
    const [, ...busy] = seen();
    expect(busy.map((s) => s.status)).toEqual([429, 429, 429]);
    expectWaitsHonoured(busy);
    await engine.finish();
    await first;
  }, 30_000);

  test("a non-busy error is not retried: the server sees one request", async () => {
    const engine = new HeldEngine(99);
    const { base, seen } = await start(engine, { load: false });
    const client = new SonaClient(base, { retryBusy: { retries: 5 } });
    const e = await rejection(client.transcribe(WAV));
    expect([e.status, e.code]).toEqual([503, "no_model"]);
    await engine.load(MICRO_EN);
    const bad = await rejection(client.transcribe(WAV, { temperature: 7 }));
    expect([bad.status, bad.code]).toEqual([400, "invalid_request"]);
    expect(seen().map((s) => s.status)).toEqual([503, 400]);
  }, 30_000);

  test("an abort during the wait ends it at once, without another request", async () => {
    const engine = new HeldEngine(1); // at 1 % the estimate is 99 x the time so far
    const { base, seen } = await start(engine);
    const client = new SonaClient(base, { retryBusy: { retries: 3, maxWaitMs: 600_000 } });
    const first = client.transcribe(WAV);
    await engine.whenRunning();
    await Bun.sleep(200); // so the advertised wait is at least 99 x 200 ms
    const stop = new AbortController();
    const waiting = rejection(client.transcribe(WAV, { signal: stop.signal }));
    while (seen().filter((s) => s.status === 429).length < 1) await Bun.sleep(5);
    const advertised = seen()[1]!.retryAfterMs!;
    expect(advertised).toBeGreaterThanOrEqual(99 * 200);
    const abortedAt = performance.now();
    stop.abort();
    const e = await waiting;
    expect(performance.now() - abortedAt).toBeLessThan(advertised);
    expect(e.code).toBe("aborted");
    expect(seen().length).toBe(2);
    await engine.finish();
    await first;
  }, 30_000);
});

describe("busyWaitMs", () => {
  test("retry-after-ms first, then Retry-After in seconds or as a date, else a second; capped", () => {
    expect(busyWaitMs({ "retry-after-ms": "250", "retry-after": "1" }, 60_000)).toBe(250);
    expect(busyWaitMs({ "retry-after": "3" }, 60_000)).toBe(3000);
    expect(busyWaitMs({ "retry-after": new Date(10_000).toUTCString() }, 60_000, 4000)).toBe(6000);
    expect(busyWaitMs({}, 60_000)).toBe(1000);
    expect(busyWaitMs({ "retry-after-ms": "x", "retry-after": "" }, 60_000)).toBe(1000);
    expect(busyWaitMs({ "retry-after-ms": "90000" }, 60_000)).toBe(60_000);
  });

  test("the option: off unless given; true is the defaults", () => {
    expect(retryPolicy(undefined).retries).toBe(0);
    expect(retryPolicy(false).retries).toBe(0);
    expect(retryPolicy(true)).toEqual({ retries: 3, maxWaitMs: 60_000 });
    expect(retryPolicy({ retries: 1 })).toEqual({ retries: 1, maxWaitMs: 60_000 });
  });
});

describe("spawnSona", () => {
  test("passes --parallel through, and gives its client the retry option", async () => {
    await using sona = await spawnSona({ binary: SONA, parallel: 2, retryBusy: { retries: 5 } });
    expect((await sona.client.health()).slots).toEqual({ busy: 0, total: 2, queued: 0 });
    expect(sona.client.retryBusy).toEqual({ retries: 5, maxWaitMs: 60_000 });
    await using plain = await spawnSona({ binary: SONA });
    expect((await plain.client.health()).slots.total).toBe(1);
    expect(plain.client.retryBusy.retries).toBe(0);
  }, 60_000);

  test("passes --queue through: with the one slot held by a live session, a transcription waits in line", async () => {
    await using sona = await spawnSona({ binary: SONA, model: MICRO_EN, queue: 1 });
    const live = await sona.client.live();
    const events: StreamEvent[] = [];
    const it = sona.client.transcribeStream(WAV, { fields: { no_fallback: true } });
    for await (const event of it) {
      events.push(event);
      if (event.type === "queued") break;
    }
    expect(events).toEqual([{ type: "progress", progress: 0 }, { type: "queued", position: 1 }]);
    await live.stop();
  }, 60_000);
});
