// A busy answer's Retry-After comes from the running job: the time so far over the share done.
// The fake engine reports progress 50 only after three steps of STEP_MS, so from then on the
// estimate is at least 3 x STEP_MS, and never more than the time since the job's request was sent.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import OpenAI, { RateLimitError, toFile } from "openai";
import { FakeEngine } from "./fake-engine.ts";
import { MICRO_EN, postAudio, startTestServer, testWav } from "./helpers/server.ts";

const STEP_MS = 800;
const engine = new FakeEngine({ stepMs: STEP_MS });
const server = startTestServer(engine);
beforeAll(() => engine.load(MICRO_EN));
afterAll(() => server.close());

/** Starts a streamed transcription and resolves once it has reported `progress`. */
async function runningAt(progress: number): Promise<{ sentAt: number; done: Promise<void> }> {
  const sentAt = performance.now();
  const res = await postAudio(server.base, { stream: "true" });
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buffered = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) throw new Error("the stream ended before the progress came");
    buffered += value;
    if (buffered.split("\n").some((l) => l && JSON.parse(l).type === "progress" && JSON.parse(l).progress >= progress)) break;
  }
  const done = (async () => {
    while (!(await reader.read()).done);
  })();
  return { sentAt, done };
}

describe("Retry-After reflects the running job", () => {
  test("before any progress it is the short default; at 50 % it is about the time so far", async () => {
    const running = postAudio(server.base);
    while (!server.app.sona.gate.busy) await Bun.sleep(2);
    const early = await postAudio(server.base);
    expect(early.status).toBe(429);
    expect(early.headers.get("retry-after")).toBe("1");
    await (await running).text();

    const job = await runningAt(50);
    const busy = await postAudio(server.base);
    const upper = performance.now() - job.sentAt;
    expect(busy.status).toBe(429);
    const ms = Number(busy.headers.get("retry-after-ms"));
    expect(ms).toBeGreaterThanOrEqual(3 * STEP_MS);
    expect(ms).toBeLessThanOrEqual(upper);
    expect(Number(busy.headers.get("retry-after"))).toBe(Math.ceil(ms / 1000));
    await job.done;
  }, 30_000);

  test("the openai client sees it as retry-after-ms, the header it reads first", async () => {
    const client = new OpenAI({ apiKey: "sona", baseURL: `${server.base}/v1`, maxRetries: 0 });
    const job = await runningAt(50);
    const err = await client.audio.transcriptions.create({ file: await toFile(testWav(), "a.wav"), model: "whisper-1" }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(RateLimitError);
    const headers = (err as RateLimitError).headers;
    expect(Number(headers.get("retry-after-ms"))).toBeGreaterThanOrEqual(3 * STEP_MS);
    await job.done;
  }, 30_000);
});
