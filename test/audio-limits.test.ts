// Issue 15, item 5, through a real `sona serve` child process and `sona transcribe`: the
// --max-audio-duration cap (413 audio_too_long naming the limit, on the WAV and the ffmpeg paths,
// no temp file left, the next request served), a WAV whose decoded size would be large refused
// before any of it is written, and the server's memory around a 200 MB upload (refused before
// inference, and transcribed whole), read from /proc/<pid>/status (VmHWM: the peak resident set,
// VmRSS: now).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { closeSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MICRO_EN } from "./helpers/server.ts";
import { SONA, spawnSona, type SonaProcess } from "./helpers/sona-process.ts";

const JFK = join(import.meta.dir, "fixtures/jfk.wav"); // 11 s
const MB = 1024 * 1024;
const dir = mkdtempSync(join(tmpdir(), "sona-limits-"));
const uploads = join(dir, "uploads");
mkdirSync(uploads);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A mono PCM WAV of silence (a faint pattern), written in pieces: the test never holds it. */
function writeWav(path: string, seconds: number, rate: number, bits: 8 | 16): number {
  const bytes = bits / 8;
  const dataBytes = Math.round(seconds * rate) * bytes;
  const h = Buffer.alloc(44);
  h.write("RIFF", 0); h.writeUInt32LE(36 + dataBytes, 4); h.write("WAVEfmt ", 8);
  h.writeUInt32LE(16, 16); h.writeUInt16LE(1, 20); h.writeUInt16LE(1, 22); h.writeUInt32LE(rate, 24);
  h.writeUInt32LE(rate * bytes, 28); h.writeUInt16LE(bytes, 32); h.writeUInt16LE(bits, 34);
  h.write("data", 36); h.writeUInt32LE(dataBytes, 40);
  const chunk = Buffer.alloc(4 * MB);
  for (let i = 0; i < chunk.length; i++) chunk[i] = bits === 8 ? 128 + (i % 3) : i % 2 ? 0 : i % 5;
  const fd = openSync(path, "w");
  try {
    writeSync(fd, h);
    for (let left = dataBytes; left > 0; left -= chunk.length) writeSync(fd, chunk, 0, Math.min(left, chunk.length));
  } finally {
    closeSync(fd);
  }
  return dataBytes / bytes;
}

/** Resident memory of a process in MiB: VmHWM is the peak of its whole life, VmRSS now. */
function memory(pid: number): { hwm: number; rss: number } {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const mib = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, "m").exec(status)![1]) / 1024;
  return { hwm: mib("VmHWM"), rss: mib("VmRSS") };
}

/** VmRSS once it is within 50 MiB of `idle`, or after 20 s: freed memory may take a moment to be
 * returned, so this polls instead of sleeping a fixed time. */
async function settledRss(pid: number, idle: number): Promise<number> {
  let rss = memory(pid).rss;
  for (let i = 0; i < 200 && rss - idle >= 50; i++) {
    await Bun.sleep(100);
    rss = memory(pid).rss;
  }
  return rss;
}

/** The 200 MB, 104-minute 16 kHz WAV both memory tests upload, written once (in pieces). */
let longWav: { path: string; samples: number } | undefined;
function long104(): { path: string; samples: number } {
  if (!longWav) {
    const path = join(dir, "long.wav");
    longWav = { path, samples: writeWav(path, 104 * 60, 16000, 16) };
  }
  return longWav;
}

/** `sona serve` on the micro model, warmed (the worker and the whisper state exist), its idle RSS,
 *  and the peak goal for the 104-minute file: 1.3 × its decoded samples + 150 MB. */
async function warmServer(): Promise<{ sona: SonaProcess; pid: number; idle: number; goal: number }> {
  const sona = await spawnSona(["--port", "0", "--tmp-dir", uploads, MICRO_EN]);
  expect((await post(sona, JFK)).status).toBe(200);
  return { sona, pid: sona.proc.pid, idle: memory(sona.proc.pid).rss, goal: (1.3 * long104().samples * 4) / MB + 150 };
}

function post(sona: SonaProcess, path: string, fields: Record<string, string> = {}, route = "transcriptions", signal?: AbortSignal): Promise<Response> {
  const form = new FormData();
  form.append("no_fallback", "true"); // random weights: no temperature fallback
  for (const [k, v] of Object.entries(fields)) form.append(k, v);
  form.append("file", Bun.file(path));
  // no client-side idle limit (Bun's default is 5 min): a 104-minute upload may take longer here
  return fetch(`${sona.base}/v1/audio/${route}`, { method: "POST", body: form, timeout: false, signal });
}

/** The first NDJSON event of a streamed response that `match` accepts. */
async function firstNdjson(res: Response, match: (e: { type: string }) => boolean): Promise<{ type: string }> {
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  for (;;) {
    const { done, value } = await reader.read();
    if (done) throw new Error(`the stream ended before a matching event: ${text.slice(-300)}`);
    text += value;
    for (const line of text.split("\n").slice(0, -1)) {
      const event = JSON.parse(line);
      if (match(event)) return event;
    }
  }
}

async function stop(sona: SonaProcess): Promise<void> {
  sona.proc.kill("SIGTERM");
  await sona.proc.exited;
}

async function expectTooLong(res: Response, limit: string): Promise<void> {
  expect(res.status).toBe(413);
  const { error } = await res.json();
  expect(error).toMatchObject({ code: "audio_too_long", param: "file", type: "invalid_request_error" });
  expect(error.message).toContain(`the limit of ${limit} (--max-audio-duration`);
}

describe("--max-audio-duration (sona serve)", () => {
  let sona: SonaProcess;
  const mp3 = join(dir, "jfk.mp3");
  beforeAll(async () => {
    const r = Bun.spawnSync(["ffmpeg", "-v", "error", "-nostdin", "-y", "-i", JFK, mp3]);
    if (r.exitCode !== 0) throw new Error(`ffmpeg: ${r.stderr.toString()}`);
    writeWav(join(dir, "two-seconds.wav"), 2, 16000, 16);
    sona = await spawnSona(["--port", "0", "--tmp-dir", uploads, "--max-audio-duration", "5", MICRO_EN]);
  });
  afterAll(() => stop(sona));

  test("jfk.wav (11 s) over a 5 s cap: 413 naming the limit, no temp file, the next request works", async () => {
    const res = await post(sona, JFK);
    await expectTooLong(res.clone(), "5 s");
    expect((await res.json()).error.message).toContain("11 s long");
    expect(readdirSync(uploads)).toEqual([]);
    expect((await post(sona, join(dir, "two-seconds.wav"))).status).toBe(200);
  }, 60_000);

  test("the same speech as MP3 (the ffmpeg path, counted while decoding): 413; the VAD route too", async () => {
    await expectTooLong(await post(sona, mp3), "5 s");
    await expectTooLong(await post(sona, JFK, {}, "vad"), "5 s");
    expect(readdirSync(uploads)).toEqual([]);
    expect((await post(sona, join(dir, "two-seconds.wav"))).status).toBe(200);
  }, 60_000);
});

describe("--max-audio-duration (sona transcribe)", () => {
  const transcribe = (args: string[], env: Record<string, string> = {}) =>
    Bun.spawnSync([SONA, "transcribe", ...args], { env: { ...process.env, ...env }, stdout: "pipe", stderr: "pipe" });

  test("over the cap: one line on stderr naming the limit, nothing on stdout, exit 1", () => {
    const r = transcribe(["--max-audio-duration", "5", MICRO_EN, JFK]);
    expect(r.exitCode).toBe(1);
    expect(r.stdout.toString()).toBe("");
    expect(r.stderr.toString()).toBe("sona: error: the audio is 11 s long, over the limit of 5 s (--max-audio-duration, SONA_MAX_AUDIO_DURATION)\n");
  }, 60_000);

  test("SONA_MAX_AUDIO_DURATION sets it; the flag wins; a bad value is a usage error (exit 2)", () => {
    const env = { SONA_MAX_AUDIO_DURATION: "5" };
    expect(transcribe([MICRO_EN, JFK], env).exitCode).toBe(1);
    expect(transcribe(["--max-audio-duration", "1m", "--no-fallback", MICRO_EN, JFK], env).exitCode).toBe(0);
    const bad = transcribe(["--max-audio-duration", "soon", MICRO_EN, JFK]);
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr.toString()).toContain("invalid --max-audio-duration 'soon'");
    expect(transcribe([MICRO_EN, JFK], { SONA_MAX_AUDIO_DURATION: "0" }).exitCode).toBe(2);
  }, 120_000);
});

describe("memory of sona serve (a child process, /proc/<pid>/status)", () => {
  test("an 8-bit 1 kHz WAV of 2 h over a 1 h cap: 413 before any of its 460 MB of samples is written", async () => {
    // 7.2 MB on disk, 2 h x 16 kHz x 4 B = 461 MB decoded. A check made while decoding would stop
    // at the cap, having written 230 MB of samples; the header check writes none.
    const path = join(dir, "low-rate.wav");
    writeWav(path, 7200, 1000, 8);
    const sona = await spawnSona(["--port", "0", "--tmp-dir", uploads, "--max-audio-duration", "1h", MICRO_EN]);
    try {
      const before = memory(sona.proc.pid).hwm;
      const res = await post(sona, path);
      await expectTooLong(res.clone(), "1 h");
      expect((await res.json()).error.message).toContain("the audio is 2 h long");
      const grew = memory(sona.proc.pid).hwm - before;
      console.error(`low-rate WAV refused: peak RSS grew by ${grew.toFixed(1)} MiB`);
      expect(grew).toBeLessThan(100);
      expect(readdirSync(uploads)).toEqual([]);
    } finally {
      await stop(sona);
      rmSync(path, { force: true });
    }
  }, 120_000);

  // Each request goes the whole allocation path of a transcription: the upload streamed to the temp
  // file, the WAV decoded into one 16 kHz array, the array transferred to the engine's worker. There
  // the English-only model refuses `translate` before inference (a 104-minute inference would take
  // far too long on 2 cores), so the worker drops the samples at once instead of after whisper_full;
  // the peak (the samples held once, in one process or the other) is the same.
  test("a 200 MB, 104-minute 16 kHz WAV, twice: peak under 1.3 x samples + 150 MB, back within 50 MB of idle after each", async () => {
    const { path } = long104();
    const { sona, pid, idle, goal } = await warmServer();
    try {
      for (let round = 1; round <= 2; round++) {
        const res = await post(sona, path, { translate: "true" });
        expect(res.status).toBe(400);
        expect((await res.json()).error.message).toContain("English-only");
        const peak = memory(pid).hwm;
        const after = await settledRss(pid, idle);
        console.error(`200 MB upload ${round}: idle ${idle.toFixed(0)} MiB, peak ${peak.toFixed(0)} MiB (goal ${goal.toFixed(0)}), after ${after.toFixed(0)} MiB`);
        expect(peak).toBeLessThan(goal);
        expect(after - idle).toBeLessThan(50);
        expect(readdirSync(uploads)).toEqual([]);
      }
    } finally {
      await stop(sona);
    }
  }, 600_000);

  // A plain transcription (no word timestamps, no VAD): the worker makes the log-mel with
  // sona_pcm_to_mel_consuming, which gives the samples' pages back as the mel (half their size) is
  // written, so the two never take more than the samples alone. The request is streamed and left
  // once its first segment is out: the peak (upload, decode, mel, the first window's inference) has
  // passed by then, and decoding 104 minutes of a synthetic model's junk would take 8 to 30 minutes
  // here. Leaving aborts it; the state that held the mel is made anew after such a long job.
  test("a plain transcription of the 104-minute WAV: peak under 1.3 x samples + 150 MB; within 50 MB of idle after it and after 3 more requests", async () => {
    const { path } = long104();
    const { sona, pid, idle, goal } = await warmServer();
    try {
      const leave = new AbortController();
      const res = await post(sona, path, { stream: "true", response_format: "json" }, "transcriptions", leave.signal);
      expect(res.status).toBe(200);
      const first = await firstNdjson(res, (e) => e.type === "segment" || e.type === "error");
      expect(first.type).toBe("segment");
      const peak = memory(pid).hwm;
      leave.abort();
      // the server is free again once the abort has landed
      for (let i = 0; i < 600 && (await post(sona, JFK)).status !== 200; i++) await Bun.sleep(100);
      const after = await settledRss(pid, idle);
      for (let i = 0; i < 3; i++) expect((await post(sona, JFK)).status).toBe(200);
      const later = memory(pid).rss;
      console.error(`104-minute plain transcription: idle ${idle.toFixed(0)} MiB, peak ${peak.toFixed(0)} MiB (goal ${goal.toFixed(0)}), after ${after.toFixed(0)} MiB, after 3 more requests ${later.toFixed(0)} MiB`);
      expect(peak).toBeLessThan(goal);
      expect(after - idle).toBeLessThan(50);
      expect(later - idle).toBeLessThan(50);
      expect(readdirSync(uploads)).toEqual([]);
    } finally {
      await stop(sona);
    }
  }, 1_200_000);
});
