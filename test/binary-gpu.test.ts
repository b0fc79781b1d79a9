// The compiled binary's GPU path, in an environment as empty as `env -i` (HOME only, for the
// unpack cache): it lists lavapipe when Mesa's driver is installed, runs on it when asked (with
// the CPU's result), runs on the CPU when not asked, and without a Vulkan loader it neither
// unpacks its Vulkan library nor fails.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { VULKAN_LIBRARY } from "../src/gpu/library.ts";
import { ensureBuilt, ROOT, run, type Sandbox, sandbox } from "./helpers/packaged.ts";

const MODEL = join(ROOT, "models/synth-micro.en.bin");
const JFK = join(ROOT, "test/fixtures/jfk.wav");
const LIBVULKAN = "/usr/lib/x86_64-linux-gnu/libvulkan.so.1";
const supported = process.platform === "linux" && process.arch === "x64" && existsSync("/usr/share/vulkan/icd.d/lvp_icd.x86_64.json") && existsSync(LIBVULKAN);
const namespaces = Bun.spawnSync(["unshare", "--user", "--map-root-user", "--mount", "true"]).exitCode === 0;
if (supported && !namespaces) console.error("skipped: the no-loader case needs `unshare --user --mount` (util-linux, user namespaces enabled)");

let box: Sandbox;
let home: string;
/** the segments of a verbose_json transcript: times and token ids */
const segments = (stdout: string) =>
  (JSON.parse(stdout).segments as { start: number; end: number; tokens: number[] }[]).map((s) => [s.start, s.end, s.tokens]);

describe.skipIf(!supported)("packaged binary on Vulkan", () => {
  beforeAll(() => {
    ensureBuilt();
    box = sandbox();
    home = box.home();
  }, 900_000);
  afterAll(() => box && rmSync(box.dir, { recursive: true, force: true }));

  test("env -i: lists lavapipe, runs on it when asked with the CPU's result, and on the CPU by default", async () => {
    const devices = await run(box.bin, ["devices"], { HOME: home });
    expect(devices.code).toBe(0);
    const lavapipe = (JSON.parse(devices.stdout) as { index: number; description: string; type: string }[]).find((d) => /llvmpipe/.test(d.description));
    expect(lavapipe?.type).toBe("cpu");

    const args = ["transcribe", MODEL, JFK, "--no-fallback", "-f", "verbose_json", "-v"];
    const cpu = await run(box.bin, args, { HOME: home });
    expect(cpu.code).toBe(0);
    expect(cpu.stderr).not.toContain("using Vulkan0 backend");
    const gpu = await run(box.bin, [...args, "--gpu-device", String(lavapipe!.index)], { HOME: home });
    expect(gpu.code).toBe(0);
    expect(gpu.stderr).toContain(`using Vulkan${lavapipe!.index} backend`);
    expect(segments(gpu.stdout)).toEqual(segments(cpu.stdout));
    expect(segments(cpu.stdout).length).toBeGreaterThan(0);
  }, 600_000);

  test.skipIf(!namespaces)("no libvulkan.so.1: devices is [], transcribe works on the CPU, the Vulkan library is not unpacked", async () => {
    const h = box.home();
    // the loader replaced by an empty file in a private mount namespace
    const hide = (args: string[]) =>
      run("/usr/bin/unshare", ["--user", "--map-root-user", "--mount", "/bin/sh", "-c", `mount --bind /dev/null ${LIBVULKAN} && exec "$0" "$@"`, box.bin, ...args], { HOME: h });
    const devices = await hide(["devices"]);
    expect([devices.code, JSON.parse(devices.stdout)]).toEqual([0, []]);
    expect(devices.stderr).toContain("no Vulkan loader (libvulkan.so.1");
    const r = await hide(["transcribe", MODEL, JFK, "--no-fallback", "-f", "json"]);
    expect(r.code).toBe(0);
    expect(typeof JSON.parse(r.stdout).text).toBe("string");
    const cache = join(h, ".cache", "sona");
    const unpacked = readdirSync(cache).flatMap((d) => readdirSync(join(cache, d)));
    expect(unpacked.length).toBeGreaterThan(0);
    expect(unpacked).not.toContain(VULKAN_LIBRARY);
  }, 120_000);
});
