// `sona serve --parallel`/`--queue` as a process (the compiled binary when built): the flags and
// their environment variables reach the server, bad values are usage errors (exit 2), and two slots
// hold the weights once: RSS with two slots busy is far below two one-slot processes.
// Synthetic tiny-dimension model: the words mean nothing.
import { afterAll, expect, test } from "bun:test";
import { readFileSync, statSync } from "node:fs";
import { type SonaProcess, spawnSona } from "../src/client/index.ts";
import { syntheticSpeech, wavBytes } from "./helpers/audio.ts";
import { MODELS_DIR } from "./helpers/server.ts";
import { SONA, SONA_KIND } from "./helpers/sona-binary.ts";

const TINY = `${MODELS_DIR}/synth-tiny.en.bin`;
const WAV = new Blob([wavBytes(syntheticSpeech(4)) as BlobPart]);
const FIELDS = { fields: { no_fallback: "true", temperature: "0" } };
const MiB = 1024 * 1024;
const rssMiB = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? NaN) / 1024;

const running: SonaProcess[] = [];
afterAll(async () => {
  await Promise.all(running.map((s) => s.stop()));
});

async function serve(args: string[], env?: Record<string, string>): Promise<SonaProcess> {
  const s = await spawnSona({ binary: SONA, model: TINY, args, env: env && { ...process.env, ...env }, readyTimeoutMs: 60_000 });
  running.push(s);
  return s;
}

/** RSS once `slots` transcriptions ran at once (each slot's state has done its work) */
async function busyRss(s: SonaProcess, slots: number): Promise<number> {
  await Promise.all(Array.from({ length: slots }, () => s.client.transcribe(WAV, FIELDS)));
  return rssMiB(s.pid!);
}

test(`two slots hold the weights once: far below two processes (${SONA_KIND})`, async () => {
  const one = await serve([]);
  const two = await serve(["--parallel", "2"]);
  expect((await two.client.health()).slots).toEqual({ busy: 0, total: 2, queued: 0 });
  const single = await busyRss(one, 1);
  const double = await busyRss(two, 2);
  const weights = statSync(TINY).size / MiB;
  console.error(`RSS: 1 slot ${single.toFixed(0)} MiB, 2 slots ${double.toFixed(0)} MiB, two processes ${(2 * single).toFixed(0)} MiB (weights ${weights.toFixed(0)} MiB)`);
  // a second process loads the weights again; a second slot only adds its decoding state
  expect(2 * single - double).toBeGreaterThan(0.75 * weights);
}, 180_000);

test("SONA_PARALLEL and SONA_QUEUE reach the server; the flags win", async () => {
  const s = await serve(["--queue", "1"], { SONA_PARALLEL: "3", SONA_QUEUE: "5" });
  expect((await s.client.health()).slots.total).toBe(3);
  expect(await (await fetch(`${s.client.baseUrl}/skill`)).text()).toContain("3 transcriptions run at a time and 1 more may wait in line");
}, 120_000);

test("bad --parallel, --queue, --queue-timeout and SONA_PARALLEL are usage errors (exit 2, one line)", () => {
  for (const [args, env] of [[["--parallel", "0"]], [["--parallel", "two"]], [["--queue", "-1"]], [["--queue-timeout", "soon"]], [[], { SONA_PARALLEL: "0" }]] as [string[], Record<string, string>?][]) {
    const r = Bun.spawnSync([SONA, "serve", "--port", "0", ...args], { env: { ...process.env, ...env }, stdout: "pipe", stderr: "pipe" });
    const err = r.stderr.toString().trim();
    expect([r.exitCode, r.stdout.toString()]).toEqual([2, ""]);
    expect(err.split("\n")[0]).toMatch(/invalid (--parallel|--queue|--queue-timeout|SONA_PARALLEL)/);
  }
}, 60_000);
