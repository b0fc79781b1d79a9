// The Vulkan path on Mesa's software device (lavapipe), which CI installs: `sona devices` lists it
// as type cpu, the default stays on the CPU, a model loaded on it with --gpu-device gives the CPU's
// result (same segments and token ids with greedy decoding, probabilities within float noise; the
// comparison is shown to fail on a 1 dB gain change), and every way Vulkan can be missing or
// broken ends in a working transcription on the CPU. Lavapipe compiles ggml's pipelines on the
// CPU (tens of seconds on 2 cores), so the GPU loads are few and the timeouts generous.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { WhisperEngine, type DecodeOptions, type TranscriptResult } from "../src/engine/index.ts";
import { SonaError } from "../src/errors.ts";
import { probeGpus } from "../src/gpu/devices.ts";
import { VULKAN_LIBRARY } from "../src/gpu/library.ts";
import { syntheticSpeech, wavBytes } from "./helpers/audio.ts";
import { MICRO_EN } from "./helpers/server.ts";

const ROOT = join(import.meta.dir, "..");
const LAVAPIPE_ICD = "/usr/share/vulkan/icd.d/lvp_icd.x86_64.json";
const LIBVULKAN = "/usr/lib/x86_64-linux-gnu/libvulkan.so.1";
const supported = existsSync(LAVAPIPE_ICD) && existsSync(LIBVULKAN) && existsSync(join(ROOT, "lib", VULKAN_LIBRARY));
// only lavapipe, whatever else this machine has: the test is about the software device
const ONLY_LAVAPIPE = { VK_ICD_FILENAMES: LAVAPIPE_ICD };
const GREEDY: DecodeOptions = {
  language: "en", detectLanguage: false, translate: false, temperature: 0, noFallback: true,
  strategy: "greedy", bestOf: 1, beamSize: 1, threads: 2, wordTimestamps: false,
};
const SPEECH = syntheticSpeech(6);

let dir: string;

async function sona(args: string[], env: Record<string, string> = {}, wrap: string[] = []) {
  const p = Bun.spawn([...wrap, process.execPath, join(ROOT, "src/main.ts"), ...args], {
    env: { ...process.env, ...ONLY_LAVAPIPE, ...env }, stdout: "pipe", stderr: "pipe",
  });
  const [stdout, stderr, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  return { stdout, stderr, code };
}

/**
 * Where two runs differ ([] when they agree): segment times and token ids exactly, and token
 * probabilities within 2 % of each other. A random-weight model's probabilities are all about
 * 1e-3 and move by under 1 % with the audio, so they cannot tell inputs apart; the token ids can
 * tell weights apart, which is what a GPU kernel computing wrong numbers amounts to (measured:
 * lavapipe and the CPU differ by 0.4 % at most in p on this audio).
 */
function differences(a: TranscriptResult, b: TranscriptResult): string[] {
  const out: string[] = [];
  if (a.segments.length !== b.segments.length) out.push(`segments: ${a.segments.length} vs ${b.segments.length}`);
  a.segments.forEach((s, i) => {
    const t = b.segments[i];
    if (!t) return;
    if (s.t0 !== t.t0 || s.t1 !== t.t1) out.push(`segment ${i} times: ${s.t0}-${s.t1} vs ${t.t0}-${t.t1}`);
    const ids = (x: typeof s) => x.tokens.map((k) => k.id).join(",");
    if (ids(s) !== ids(t)) out.push(`segment ${i} token ids: ${ids(s)} vs ${ids(t)}`);
    s.tokens.forEach((k, j) => {
      const q = t.tokens[j];
      if (q && Math.abs(k.p - q.p) > 0.02 * k.p) out.push(`segment ${i} token ${j} p: ${k.p} vs ${q.p}`);
    });
  });
  return out;
}

describe.skipIf(!supported)("Vulkan on lavapipe", () => {
  let lavapipe: number;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "sona-gpu-"));
    writeFileSync(join(dir, "speech.wav"), wavBytes(SPEECH));
    const found = probeGpus().devices.find((d) => d.type === "cpu" && /llvmpipe/.test(d.description));
    if (!found) throw new Error(`lavapipe not listed: ${JSON.stringify(probeGpus())}`);
    lavapipe = found.index;
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  test("sona devices lists lavapipe as a cpu-type device, as a JSON array", async () => {
    const r = await sona(["devices"]);
    expect(r.code).toBe(0);
    const devices = JSON.parse(r.stdout);
    expect(Array.isArray(devices)).toBe(true);
    const d = devices.find((x: { description: string }) => /llvmpipe/.test(x.description));
    expect(d).toMatchObject({ index: lavapipe, name: expect.stringMatching(/^Vulkan\d+$/), type: "cpu" });
    expect(d.memory_total).toBeGreaterThan(0);
    expect(d.memory_free).toBeGreaterThan(0);
    expect(d.memory_free).toBeLessThanOrEqual(d.memory_total);
  }, 60_000);

  test("sona devices prints [] (not null) when no driver loads", async () => {
    const r = await sona(["devices"], { VK_ICD_FILENAMES: join(dir, "garbage") });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual([]);
    expect(r.stderr).toContain("sona: no GPU:");
  }, 60_000);

  test("by default the model stays on the CPU: a software device is never chosen", async () => {
    const engine = new WhisperEngine();
    try {
      const model = await engine.load(MICRO_EN);
      expect(model.device).toBe("cpu");
      expect(model.fallbackReason).toBeUndefined(); // a machine without a hardware GPU is not falling back
    } finally {
      await engine.close();
    }
  }, 60_000);

  test("on lavapipe with --gpu-device the result is the CPU's: same segments and token ids", async () => {
    const cpu = new WhisperEngine();
    const gpu = new WhisperEngine();
    try {
      await cpu.load(MICRO_EN, { noGpu: true });
      const onGpu = await gpu.load(MICRO_EN, { gpuDevice: lavapipe });
      expect(onGpu.device).toMatch(/llvmpipe/);
      expect(onGpu.fallbackReason).toBeUndefined();
      const a = await cpu.transcribe(SPEECH.slice(), GREEDY);
      const b = await gpu.transcribe(SPEECH.slice(), GREEDY);
      expect(a.segments.length).toBeGreaterThan(0);
      expect(differences(a, b)).toEqual([]);
      // the comparison can fail: the same audio through other weights (another seed) differs
      const other = join(dir, "other-weights.en.bin");
      expect(Bun.spawnSync([process.execPath, join(ROOT, "scripts/make-test-model.ts"), "--seed", "2", "--out", other]).exitCode).toBe(0);
      await cpu.load(other, { noGpu: true });
      expect(differences(b, await cpu.transcribe(SPEECH.slice(), GREEDY)).length).toBeGreaterThan(0);
      // and the GPU model keeps working for the next request
      expect(differences(a, await gpu.transcribe(SPEECH.slice(), GREEDY))).toEqual([]);
    } finally {
      await cpu.close();
      await gpu.close();
    }
  }, 600_000);

  test("--gpu-device 7 is a clear error naming the devices; the next load and transcription work", async () => {
    const engine = new WhisperEngine();
    try {
      let err: unknown;
      await engine.load(MICRO_EN, { gpuDevice: 7 }).catch((e) => (err = e));
      expect(err).toBeInstanceOf(SonaError);
      expect((err as SonaError).code).toBe("invalid_request");
      expect((err as SonaError).message).toContain("there is no GPU device 7; the devices are");
      await engine.load(MICRO_EN);
      expect((await engine.transcribe(SPEECH.slice(), GREEDY)).segments.length).toBeGreaterThan(0);
    } finally {
      await engine.close();
    }
  }, 60_000);

  // each broken setup in a process of its own (the loader reads its ICD list once per process)
  const brokenSetups: [string, () => { env?: Record<string, string>; wrap?: string[] }][] = [
    ["VK_ICD_FILENAMES set to garbage", () => ({ env: { VK_ICD_FILENAMES: "\u0001not a path:at all" } })],
    ["an ICD file pointing at a missing driver", () => {
      const icd = join(dir, "missing-driver.json");
      writeFileSync(icd, JSON.stringify({ file_format_version: "1.0.0", ICD: { library_path: join(dir, "libvulkan_missing.so"), api_version: "1.3.0" } }));
      return { env: { VK_ICD_FILENAMES: icd } };
    }],
    // libvulkan.so.1 replaced by an empty file in a private mount namespace: the loader cannot open
    ["no libvulkan.so.1", () => ({ wrap: ["unshare", "--user", "--map-root-user", "--mount", "sh", "-c", `mount --bind /dev/null ${LIBVULKAN} && exec "$0" "$@"`] })],
  ];
  const namespaces = Bun.spawnSync(["unshare", "--user", "--map-root-user", "--mount", "true"]).exitCode === 0;
  if (!namespaces) console.error("skipped: the no-libvulkan case needs `unshare --user --mount` (util-linux, user namespaces enabled)");
  for (const [name, setup] of brokenSetups) {
    test.skipIf(name === "no libvulkan.so.1" && !namespaces)(`${name}: --gpu-device 0 warns once and transcribes on the CPU`, async () => {
      const { env, wrap } = setup();
      const r = await sona(["transcribe", MICRO_EN, join(dir, "speech.wav"), "--gpu-device", "0", "--no-fallback", "-f", "json"], env, wrap);
      expect(r.stderr.match(/warning: .*the model runs on the CPU/g)?.length).toBe(1);
      expect(r.code).toBe(0);
      expect(typeof JSON.parse(r.stdout).text).toBe("string");
    }, 120_000);
  }

  test("out of device memory: while loading, the CPU instead; during a transcription, 503 gpu_out_of_memory (also as a stream's error event), and the next one works", async () => {
    // vk-oom.c fails every device allocation while the trigger file exists
    const preload = join(dir, "vk-oom.so");
    const cc = Bun.spawnSync(["gcc", "-shared", "-fPIC", "-O1", "-o", preload, join(import.meta.dir, "helpers/vk-oom.c"), "-ldl"], { stderr: "pipe" });
    expect(cc.stderr.toString()).toBe("");
    const trigger = join(dir, "oom");
    const proc = Bun.spawn([process.execPath, join(ROOT, "src/main.ts"), "serve", "--port", "0"], {
      env: { ...process.env, ...ONLY_LAVAPIPE, LD_PRELOAD: preload, VK_OOM_TRIGGER: trigger }, stdout: "pipe", stderr: "pipe",
    });
    const stderr = new Response(proc.stderr).text();
    try {
      const reader = proc.stdout.getReader();
      const { value } = await reader.read();
      const base = `http://127.0.0.1:${JSON.parse(new TextDecoder().decode(value)).port}`;
      const load = (body: object) => fetch(`${base}/v1/models/load`, { method: "POST", body: JSON.stringify({ path: MICRO_EN, ...body }) }).then((r) => r.json());
      const transcribe = async (fields: Record<string, string> = {}) => {
        const form = new FormData();
        form.append("file", new Blob([wavBytes(SPEECH)]), "speech.wav");
        form.append("no_fallback", "true");
        for (const [k, v] of Object.entries(fields)) form.append(k, v);
        const r = await fetch(`${base}/v1/audio/transcriptions`, { method: "POST", body: form });
        return { status: r.status, text: await r.text() };
      };

      // a device that does not exist is the request's fault, named as such
      const res = await fetch(`${base}/v1/models/load`, { method: "POST", body: JSON.stringify({ path: MICRO_EN, gpu_device: 7 }) });
      expect(res.status).toBe(400);
      expect((await res.json()).error).toMatchObject({ code: "invalid_request", param: "gpu_device" });

      // out of device memory while the weights load: the model loads on the CPU instead
      // (load-oom.patch; whisper.cpp 1.9.1 aborted the process here), and transcribes
      writeFileSync(trigger, "");
      const fellBack = await load({ gpu_device: lavapipe });
      expect(fellBack.device).toBe("cpu");
      expect(fellBack.fallback_reason).toMatch(/GPU \d+ .*failed/);
      expect((await transcribe()).status).toBe(200);
      unlinkSync(trigger);

      const onGpu = await load({ gpu_device: lavapipe });
      expect(onGpu.device).toMatch(/llvmpipe/);
      expect(onGpu.fallback_reason).toBeUndefined();
      writeFileSync(trigger, "");
      const failed = await transcribe();
      expect(failed.status).toBe(503);
      expect(JSON.parse(failed.text).error).toMatchObject({ code: "gpu_out_of_memory", type: "server_error" });
      // a stream gets it as an error event
      const streamed = await transcribe({ stream: "true" });
      expect(streamed.text).toContain('"code":"gpu_out_of_memory"');
      unlinkSync(trigger);
      const next = await transcribe();
      expect(next.status).toBe(200);
      expect(typeof JSON.parse(next.text).text).toBe("string");
      expect(await fetch(`${base}/ready`).then((r) => r.json())).toMatchObject({ status: "ready", device: expect.stringMatching(/llvmpipe/) });
    } finally {
      proc.kill();
      await proc.exited;
    }
    expect(await stderr).not.toContain("panic");
  }, 600_000);
});

