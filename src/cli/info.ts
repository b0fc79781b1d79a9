// `sona --version` and `sona info`: what this binary is made of, and what it picked at start-up.
import { defineCommand } from "citty";
import { ffmpegInfo } from "../audio/ffmpeg.ts";
import { setting } from "../config.ts";
import { homedir } from "node:os";
import { join } from "node:path";
import { cacheDirs } from "../bundle/extract.ts";
import { defaultThreads, WhisperEngine } from "../engine/index.ts";
import { listModels, modelsDir } from "../models/store.ts";
import { formatBytes } from "../models/units.ts";
import { chooseLibrary, hostTarget } from "../engine/library.ts";
import { EMBEDDED_VAD, embeddedVadModel } from "../vad/model.ts";
import { chooseDevice } from "../gpu/choose.ts";
import { probeGpus } from "../gpu/devices.ts";
import { deviceRequest } from "../gpu/load.ts";
import { getCommit, VERSION, WHISPER_VERSION } from "../version.ts";

function ffmpegLine(): string {
  const { path, origin } = ffmpegInfo();
  if (!path) return "ffmpeg: not found (WAV still works; install ffmpeg or set SONA_FFMPEG_PATH for other formats)";
  const out = Bun.spawnSync([path, "-hide_banner", "-version"], { stderr: "ignore" });
  const version = /ffmpeg version (\S+)/.exec(out.stdout.toString())?.[1] ?? "unknown version";
  return `ffmpeg: ${version} (${origin}: ${path})`;
}

function libraryLine(): string {
  try {
    const lib = chooseLibrary();
    return `libwhisper: ${lib.level}, ${lib.reason}: ${lib.path}`;
  } catch (err) {
    return `libwhisper: unavailable (${err instanceof Error ? err.message : err})`;
  }
}

/** The device a model would load on with no flags, and every Vulkan device found. */
function deviceLines(): string[] {
  try {
    const choice = chooseDevice(probeGpus, deviceRequest({}));
    const listed = probeGpus().devices.map((d) => `  ${d.index}: ${d.description} (${d.type}, ${formatBytes(d.memory_total)})`);
    const device = choice.device
      ? `device: GPU ${choice.device.index}, ${choice.device.description} (Vulkan)`
      : `device: cpu${choice.reason ? ` (${choice.reason})` : " (--no-gpu or SONA_NO_GPU)"}`;
    return [device, ...listed];
  } catch (err) {
    return [`device: cpu (${err instanceof Error ? err.message : err})`];
  }
}

function vadLine(): string {
  try {
    const { path } = embeddedVadModel();
    return `vad: ${EMBEDDED_VAD.name} (Silero VAD, MIT; embedded: ${path})`;
  } catch (err) {
    return `vad: ${EMBEDDED_VAD.name} unavailable (${err instanceof Error ? err.message : err})`;
  }
}

export async function printVersion(): Promise<void> {
  process.stdout.write(
    // the target is what this process runs as (under qemu-user, the emulated one): the release
    // artifact that matches it is sona-<target>
    [`sona ${VERSION} (commit ${getCommit()})`, `whisper.cpp ${WHISPER_VERSION}`, libraryLine(), ffmpegLine(), vadLine(), `target: ${hostTarget()}`].join("\n") + "\n",
  );
}

/** Where things live and what is used when nothing is asked for. */
async function placesLines(): Promise<string[]> {
  const dir = modelsDir();
  const models = await listModels(dir).catch(() => []);
  const listed = models.length ? models.map((m) => `  ${m.name} (${formatBytes(m.size)})`) : ["  (none; download one with: sona pull base.en)"];
  const unpack = cacheDirs("<build>")[0]!.dir.replace(/[/\\]<build>$/, "");
  const build = setting("SONA_BUILD_CACHE") || join(process.env.XDG_CACHE_HOME || join(homedir(), ".cache"), "sona-build");
  return [
    `threads: ${defaultThreads()} by default (every core, at most 8; --threads to change)`,
    `models directory: ${dir}${setting("SONA_MODELS_DIR") ? " (SONA_MODELS_DIR)" : ""}`,
    ...listed,
    `cache: ${unpack} (where the single binary unpacks libwhisper and ffmpeg)`,
    `build cache: ${build} (native builds from a source checkout; SONA_BUILD_CACHE)`,
  ];
}

export default defineCommand({
  meta: { name: "info", description: "Show versions, the CPU library chosen and why, ffmpeg, the models and cache directories, the default thread count, and whisper.cpp's system info" },
  async run() {
    await printVersion();
    process.stdout.write(`${[...deviceLines(), ...(await placesLines())].join("\n")}\n`);
    const engine = new WhisperEngine();
    try {
      const info = await engine.start();
      process.stdout.write(`whisper.cpp system info: ${info.systemInfo.trim()}\n`);
    } finally {
      await engine.close();
    }
  },
});
