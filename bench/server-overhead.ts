// What the HTTP runner costs on top of whisper.cpp, measured against `sona serve` in a child process
// (as an owner runs it; $SONA_BINARY, else dist/sona, else bun src/main.ts) with the synthetic micro model:
//   bun bench/server-overhead.ts [--requests 50] [--spawns 7] [--no-rss]
// 1. per-request overhead: client wall time minus the engine's inference time (Server-Timing),
//    p50/p90 over N json requests of 3 s of audio; also minus audio decoding (the server alone)
// 2. time to the ready line: spawn -> ready line on stdout, median of several spawns, with no model
//    and with the micro model as argument
// 3. peak RSS of the server for a 1-hour 16 kHz upload (115 MB): the upload alone, then upload +
//    decode + inference to the first segment; VmHWM from /proc against the RSS before the upload
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { syntheticSpeech, wavBytes } from "../test/helpers/audio.ts";
import { MICRO_EN } from "../test/helpers/server.ts";
import { SONA_KIND, spawnSona } from "../test/helpers/sona-process.ts";

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const REQUESTS = arg("requests", 50);
const SPAWNS = arg("spawns", 7);
const WARMUP = 3;

const pct = (values: number[], p: number) => {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};
const fmt = (ms: number) => `${ms.toFixed(2)} ms`;

function timings(header: string | null): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of (header ?? "").matchAll(/(\w+);dur=([\d.]+)/g)) out[m[1]!] = Number(m[2]);
  return out;
}

async function overhead(): Promise<void> {
  const sona = await spawnSona(["--port", "0", MICRO_EN]);
  const wav = wavBytes(syntheticSpeech(3));
  const total: number[] = [];
  const server: number[] = [];
  const inference: number[] = [];
  for (let i = 0; i < REQUESTS + WARMUP; i++) {
    const form = new FormData();
    form.append("file", new Blob([wav as BlobPart]), "speech.wav");
    form.append("no_fallback", "true");
    const t0 = performance.now();
    const res = await fetch(`${sona.base}/v1/audio/transcriptions`, { method: "POST", body: form });
    await res.text();
    const wall = performance.now() - t0;
    if (res.status !== 200) throw new Error(`request ${i}: HTTP ${res.status}`);
    if (i < WARMUP) continue;
    const t = timings(res.headers.get("server-timing"));
    const engineMs = (t.inference ?? 0) + (t.language ?? 0);
    total.push(wall - engineMs);
    server.push(wall - engineMs - (t.decode ?? 0));
    inference.push(engineMs);
  }
  sona.proc.kill("SIGTERM");
  await sona.proc.exited;
  console.log(`per-request overhead over ${REQUESTS} requests (3 s of audio, micro model, json):`);
  console.log(`  wall - inference:          p50 ${fmt(pct(total, 50))}  p90 ${fmt(pct(total, 90))}`);
  console.log(`  wall - inference - decode: p50 ${fmt(pct(server, 50))}  p90 ${fmt(pct(server, 90))}`);
  console.log(`  (inference itself:         p50 ${fmt(pct(inference, 50))})`);
}

async function timeToReady(args: string[]): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < SPAWNS; i++) {
    const t0 = performance.now();
    const sona = await spawnSona(["--port", "0", ...args]);
    times.push(performance.now() - t0);
    sona.proc.kill("SIGTERM");
    await sona.proc.exited;
  }
  return times;
}

function writeHourWav(path: string): void {
  const block = wavBytes(syntheticSpeech(10)).subarray(44); // 10 s of s16 frames, repeated
  const seconds = 3600;
  const header = wavBytes(new Float32Array(0));
  new DataView(header.buffer).setUint32(4, 36 + block.length * (seconds / 10), true);
  new DataView(header.buffer).setUint32(40, block.length * (seconds / 10), true);
  const fd = openSync(path, "w");
  writeSync(fd, header);
  for (let s = 0; s < seconds; s += 10) writeSync(fd, block);
  closeSync(fd);
}

const kb = (pid: number, field: string) => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, "utf8"))![1]);

/** Peak server RSS over its RSS before: the upload alone (a bad field rejects it once it is on disk), then upload -> first segment. */
async function hourUploadRss(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "sona-bench-"));
  try {
    const path = join(dir, "hour.wav");
    writeHourWav(path);
    const upload = async (fields: Record<string, string>) => {
      const sona = await spawnSona(["--port", "0", "--tmp-dir", dir, MICRO_EN]);
      const before = kb(sona.proc.pid, "VmRSS");
      const form = new FormData();
      form.append("file", Bun.file(path), "hour.wav");
      for (const [k, v] of Object.entries(fields)) form.append(k, v);
      const ac = new AbortController();
      const t0 = performance.now();
      const res = await fetch(`${sona.base}/v1/audio/transcriptions`, { method: "POST", body: form, signal: ac.signal });
      const reader = res.body!.getReader();
      let seen = "";
      for (;;) {
        const { done, value } = await reader.read();
        if (done || seen.includes('"segment"')) break;
        seen += new TextDecoder().decode(value);
      }
      const seconds = (performance.now() - t0) / 1000;
      const peak = kb(sona.proc.pid, "VmHWM");
      ac.abort();
      sona.proc.kill("SIGTERM");
      await sona.proc.exited;
      return { before: before / 1024, peak: peak / 1024, seconds, status: res.status };
    };
    const mb = (n: number) => `${n.toFixed(0)} MB`;
    const alone = await upload({ response_format: "bogus" }); // 400 once the whole file is on disk
    const full = await upload({ stream: "true", no_fallback: "true" });
    console.log("1-hour upload (16 kHz mono s16 WAV, 115 MB), server peak RSS (VmHWM) over its RSS before:");
    console.log(`  upload alone (HTTP ${alone.status} after ${alone.seconds.toFixed(2)} s): ${mb(alone.before)} -> ${mb(alone.peak)} (+${mb(alone.peak - alone.before)})`);
    console.log(`  upload, decode, inference to the first segment (${full.seconds.toFixed(1)} s): ${mb(full.before)} -> ${mb(full.peak)} (+${mb(full.peak - full.before)})`);
    console.log("  (the decoded f32 samples are 230 MB; whisper.cpp pads a copy of them and adds a 115 MB mel spectrogram)");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

console.log(`sona = ${SONA_KIND} (bun ${Bun.version})`);
await overhead();
const bare = await timeToReady([]);
const withModel = await timeToReady([MICRO_EN]);
console.log(`time to the ready line (spawn -> line read, median of ${SPAWNS}): no model ${fmt(pct(bare, 50))}, micro model ${fmt(pct(withModel, 50))}`);
if (!process.argv.includes("--no-rss")) await hourUploadRss();
