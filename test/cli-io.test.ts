// `sona transcribe` inputs and outputs (issue 16, items 1-2): pipes and stdin, several files, -o
// checked first, the format from the -o extension, several formats, EPIPE; extra arguments.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { syntheticSpeech, wavBytes } from "./helpers/audio.ts";

const root = join(import.meta.dir, "..");
const model = join(root, "models/synth-micro.en.bin");
const main = join(root, "src/main.ts");
let dir: string;
let wav: string;
let mp3: string;

function sona(...args: string[]) {
  const p = Bun.spawnSync([process.execPath, main, ...args], { env: { ...process.env, NO_COLOR: "1" }, stdout: "pipe", stderr: "pipe" });
  return { code: p.exitCode, stdout: p.stdout.toString(), stderr: p.stderr.toString() };
}

/** through bash, for pipes and process substitution; $SONA is the CLI */
function shell(script: string) {
  const p = Bun.spawnSync(["bash", "-c", script], {
    env: { ...process.env, NO_COLOR: "1", SONA: `${process.execPath} ${main}`, M: model, WAV: wav, MP3: mp3 },
    stdout: "pipe",
    stderr: "pipe",
  });
  return { code: p.exitCode, stdout: p.stdout.toString(), stderr: p.stderr.toString() };
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "sona-cli-io-"));
  wav = join(dir, "speech.wav");
  writeFileSync(wav, wavBytes(syntheticSpeech(4)));
  mp3 = join(dir, "other.mp3");
  expect(Bun.spawnSync(["ffmpeg", "-loglevel", "error", "-y", "-i", wav, mp3]).exitCode).toBe(0);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const json = (file: string, ...more: string[]) => sona("transcribe", model, file, "--no-fallback", ...more);

describe("audio from a pipe", () => {
  test("'-' reads a WAV from standard input, with the result of the file itself", () => {
    const fromFile = json(wav);
    expect(fromFile.code).toBe(0);
    const r = shell('cat "$WAV" | $SONA transcribe "$M" - --no-fallback');
    expect(r.stderr).not.toContain("error");
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(fromFile.stdout);
  });

  test("/dev/stdin and <(...) are read as pipes", () => {
    const fromFile = json(wav).stdout;
    const a = shell('cat "$WAV" | $SONA transcribe "$M" /dev/stdin --no-fallback');
    expect(a.code).toBe(0);
    expect(a.stdout).toBe(fromFile);
    const b = shell('$SONA transcribe "$M" <(cat "$WAV") --no-fallback');
    expect(b.code).toBe(0);
    expect(b.stdout).toBe(fromFile);
  });

  test("anything else goes through ffmpeg's pipe:0", () => {
    const r = shell('cat "$MP3" | $SONA transcribe "$M" - --no-fallback -f verbose_json');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).duration).toBeCloseTo(4, 1);
  });

  test("garbage on stdin is one error line, exit 1", () => {
    const r = shell('head -c 4096 /dev/urandom | $SONA transcribe "$M" - --no-fallback');
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toMatch(/^sona: error: .*(could not decode|invalid)/);
  });
});

describe("several files", () => {
  test("each is transcribed in turn to stdout", () => {
    const r = sona("transcribe", model, wav, mp3, "--no-fallback", "-f", "verbose_json");
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split("\n").map((l) => JSON.parse(l));
    expect(lines).toHaveLength(2);
    for (const l of lines) expect(l.duration).toBeCloseTo(4, 1);
  });

  test("-o DIR writes <name>.<ext> for each; a failed file is reported, the rest go on, exit 1", () => {
    const out = join(dir, "subs");
    mkdirSync(out);
    const r = sona("transcribe", model, wav, join(dir, "missing.wav"), mp3, "--no-fallback", "-f", "srt,vtt", "-o", out);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`missing.wav: cannot open audio file`);
    expect(r.stderr).toContain("1 of 3 files failed");
    expect(readdirSync(out).sort()).toEqual(["other.srt", "other.vtt", "speech.srt", "speech.vtt"]);
    expect(readFileSync(join(out, "speech.vtt"), "utf8")).toStartWith("WEBVTT\n");
  });

  test("several files need -o DIR, not a file", () => {
    const r = sona("transcribe", model, wav, mp3, "-o", join(dir, "x.json"));
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("need -o DIR");
  });
});

describe("outputs", () => {
  test("the format follows the -o extension when -f is absent", () => {
    const out = join(dir, "talk.srt");
    const r = json(wav, "-o", out);
    expect(r.code).toBe(0);
    expect(readFileSync(out, "utf8")).toBe(json(wav, "-f", "srt").stdout);
  });

  test("-f srt,vtt,json -o base writes base.srt, base.vtt and base.json, each ending in a newline", () => {
    const base = join(dir, "many");
    const r = json(wav, "-f", "srt,vtt,json", "-o", base);
    expect(r.code).toBe(0);
    for (const [ext, format] of [["srt", "srt"], ["vtt", "vtt"], ["json", "json"]]) {
      const body = readFileSync(`${base}.${ext}`, "utf8");
      expect(body).toBe(json(wav, "-f", format!).stdout);
      expect(body).toEndWith("\n");
    }
  });

  test("several formats without -o are a usage error", () => {
    const r = json(wav, "-f", "srt,vtt");
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("need -o");
  });

  test("-o is checked before anything is transcribed, and the error is a sentence", () => {
    const out = join(dir, "no-such-dir", "talk.srt");
    // the audio is missing too: a check after transcription would report the audio instead
    const r = sona("transcribe", model, join(dir, "missing.wav"), "-o", out);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`sona: error: cannot write ${out}: the directory ${join(dir, "no-such-dir")} does not exist\n`);
    expect(existsSync(out)).toBe(false);
    const d = sona("transcribe", model, join(dir, "missing.wav"), "-o", dir + "/x.srt/");
    expect(d.code).toBe(1);
  });

  test("a reader that stops early ends the run quietly (no EPIPE trace)", () => {
    // `true` exits at once; sona writes its first segment after loading the model, into a closed pipe
    const r = shell('$SONA transcribe "$M" "$WAV" --no-fallback -f srt | true; echo "sona exit ${PIPESTATUS[0]}" >&2');
    expect(r.stderr).not.toMatch(/EPIPE|at |error/i);
    expect(r.stderr).toContain("sona exit 0");
  });
});

describe("extra arguments are usage errors on every other command", () => {
  for (const args of [["pull", "base.en", "tiny"], ["serve", "MODEL", "extra"], ["models", "rm", "a", "b"], ["models", "oops"], ["info", "now"]]) {
    test(args.join(" "), () => {
      const r = sona(...args.map((a) => (a === "MODEL" ? model : a)));
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/^sona: unexpected argument '/);
    });
  }
});
