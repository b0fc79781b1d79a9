// `sona --version` and `sona info`: what this binary is made of, and what it picked at start-up.
import { defineCommand } from "citty";
import { ffmpegInfo } from "../audio/ffmpeg.ts";
import { WhisperEngine } from "../engine/index.ts";
import { chooseLibrary } from "../engine/library.ts";
import { EMBEDDED_VAD, embeddedVadModel } from "../vad/model.ts";
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
    [`sona ${VERSION} (commit ${getCommit()})`, `whisper.cpp ${WHISPER_VERSION}`, libraryLine(), ffmpegLine(), vadLine()].join("\n") + "\n",
  );
}

export default defineCommand({
  meta: { name: "info", description: "Show versions, the CPU library chosen and why, ffmpeg, and whisper.cpp's system info" },
  async run() {
    await printVersion();
    const engine = new WhisperEngine();
    try {
      const info = await engine.start();
      process.stdout.write(`whisper.cpp system info: ${info.systemInfo.trim()}\n`);
    } finally {
      await engine.close();
    }
  },
});
