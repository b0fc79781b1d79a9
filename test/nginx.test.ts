// The scale-out example: 3 sona processes behind Debian's nginx on loopback. Concurrent
// transcriptions spread over the processes (a busy one answers 429 and nginx replays the request to
// the next); a client that honours Retry-After loses nothing; a killed process is routed around.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { join } from "node:path";
import { startCluster, type Cluster } from "../examples/nginx/cluster.ts";
import { syntheticSpeech, wavBytes } from "./helpers/audio.ts";

const root = join(import.meta.dir, "..");
let cluster: Cluster;
const audio = new Blob([wavBytes(syntheticSpeech(8))], { type: "audio/wav" });

beforeAll(async () => {
  cluster = await startCluster({ n: 3, model: join(root, "models/synth-tiny.en.bin"), sona: [process.execPath, join(root, "src/main.ts")] });
}, 60_000);
afterAll(() => cluster?.stop());

/**
 * A transcription that retries like the OpenAI SDKs do: a 429 after its Retry-After, and a proxy's
 * 502 (every process busy or gone when nginx tried it) after a moment. Sona's own errors carry
 * x-should-retry: false and are not retried.
 */
async function transcribe(): Promise<{ status: number; tries: number; text?: string }> {
  for (let tries = 1; ; tries++) {
    const form = new FormData();
    form.append("file", audio, "speech.wav");
    form.append("no_fallback", "true");
    const res = await fetch(`${cluster.url}/v1/audio/transcriptions`, { method: "POST", body: form });
    const retry = res.status === 429 || (res.status === 502 && res.headers.get("x-should-retry") !== "false");
    if (!retry || tries >= 60) {
      const body = await res.text();
      return { status: res.status, tries, text: res.ok ? JSON.parse(body).text : body.slice(0, 200) };
    }
    if (res.status === 429) expect(Number(res.headers.get("retry-after"))).toBeGreaterThan(0);
    await res.body?.cancel();
    await Bun.sleep(Number(res.headers.get("retry-after") ?? 0.5) * 1000);
  }
}

test("6 concurrent transcriptions through nginx over 3 processes all succeed", async () => {
  const results = await Promise.all(Array.from({ length: 6 }, transcribe));
  console.error(`tries per request: ${results.map((r) => r.tries).join(", ")}`);
  for (const r of results) {
    expect(r.status).toBe(200);
    expect(typeof r.text).toBe("string");
  }
  // three processes: at least three requests got through on their first try
  expect(results.filter((r) => r.tries === 1).length).toBeGreaterThanOrEqual(3);
}, 180_000);

test("a sona process killed mid-test is routed around", async () => {
  const victim = cluster.sona[0]!;
  const running = Promise.all(Array.from({ length: 3 }, transcribe));
  await Bun.sleep(200);
  victim.proc.kill("SIGKILL");
  const more = await Promise.all(Array.from({ length: 3 }, transcribe));
  for (const r of [...(await running), ...more]) expect(r.status).toBe(200);
}, 180_000);
