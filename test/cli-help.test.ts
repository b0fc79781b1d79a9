// `--help` (issue 16, item 4): wrapped to the terminal, grouped, examples and environment listed.
import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { syntheticSpeech, wavBytes } from "./helpers/audio.ts";

const root = join(import.meta.dir, "..");

function sona(args: string[], env: Record<string, string> = {}) {
  const p = Bun.spawnSync([process.execPath, join(root, "src/main.ts"), ...args], { env: { ...process.env, NO_COLOR: "1", ...env }, stdout: "pipe", stderr: "pipe" });
  return { code: p.exitCode, stdout: p.stdout.toString(), stderr: p.stderr.toString() };
}

/** the lines of one section ("Examples:" up to the next blank line) */
function section(help: string, title: string): string[] {
  const lines = help.split("\n");
  const at = lines.indexOf(title);
  if (at < 0) return [];
  const end = lines.indexOf("", at);
  return lines.slice(at + 1, end < 0 ? undefined : end);
}

describe("help", () => {
  for (const width of [60, 80, 100]) {
    test(`every command's help fits ${width} columns, words whole (examples aside)`, () => {
      for (const cmd of [[], ["transcribe"], ["vad"], ["live"], ["serve"], ["pull"], ["models"], ["info"]]) {
        const r = sona([...cmd, "--help"], { COLUMNS: String(width) });
        expect(r.code).toBe(0);
        const examples = new Set(section(r.stdout, "Examples:"));
        for (const line of r.stdout.split("\n")) if (!examples.has(line)) expect(line.length).toBeLessThanOrEqual(width);
      }
    });
  }

  test("transcribe groups its options, and shows only --no-fallback", () => {
    const help = sona(["transcribe", "--help"]).stdout;
    for (const title of ["Output options:", "Decoding options:", "Advanced options:"]) expect(help).toContain(`\n${title}\n`);
    expect(section(help, "Output options:").join("\n")).toContain("--format");
    expect(section(help, "Decoding options:").join("\n")).toContain("--language");
    expect(help).toContain("--no-fallback");
    expect(help).not.toMatch(/--fallback\b/);
  });

  test("the top-level command list has one line per command, examples and the environment", () => {
    const help = sona(["--help"], { COLUMNS: "200" }).stdout;
    const commands = section(help, "Commands:");
    // a command's name starts its line; a long description continues on indented lines
    expect(commands.filter((l) => /^ {2}\S/.test(l)).map((l) => l.trim().split(/\s+/)[0])).toEqual(["transcribe", "vad", "live", "serve", "pull", "models", "info", "devices"]);
    for (const l of commands) expect(l).toMatch(/^ {2}(transcribe|vad|live|serve|pull|models|info|devices) +\S| {8,}\S/);
    const examples = section(help, "Examples:");
    expect(examples.length).toBeGreaterThan(0);
    for (const e of examples) expect(e).toMatch(/^ {2}sona [a-z]+ /);
    const env = section(help, "Environment:").join("\n");
    for (const name of ["SONA_MODELS_DIR", "HF_ENDPOINT", "SONA_API_KEY", "SONA_UNLOAD_TIMEOUT", "SONA_FFMPEG_PATH", "NO_COLOR"]) expect(env).toContain(name);
  });

  test("pull, models and info have examples", () => {
    for (const cmd of ["pull", "models", "info"]) expect(section(sona([cmd, "--help"]).stdout, "Examples:").length).toBeGreaterThan(0);
  });

  test("serve describes --no-exit-with-parent", () => {
    const line = sona(["serve", "--help"], { COLUMNS: "200" }).stdout.split("\n").find((l) => l.includes("--no-exit-with-parent"));
    expect(line).toMatch(/--no-exit-with-parent\s+Keep running when the process that started sona exits/);
  });

  test("the global -v works before the command too", async () => {
    const wav = join(root, "models", `help-test-${process.pid}.wav`);
    await Bun.write(wav, wavBytes(syntheticSpeech(1)));
    try {
      const model = join(root, "models/synth-micro.en.bin");
      const quiet = sona(["transcribe", model, wav, "--no-fallback"]);
      const before = sona(["-v", "transcribe", model, wav, "--no-fallback"]);
      const after = sona(["transcribe", model, wav, "--no-fallback", "-v"]);
      for (const r of [quiet, before, after]) expect(r.code).toBe(0);
      expect(quiet.stderr).not.toContain("whisper_");
      expect(after.stderr).toContain("whisper_");
      expect(before.stderr).toContain("whisper_");
    } finally {
      await Bun.file(wav).delete();
    }
  });
});
