// `sona transcribe` while it runs (issue 16, item 3): plain progress lines off a terminal,
// segments on stdout as they are decoded, a partial result on Ctrl-C/SIGTERM, a summary on a TTY.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { syntheticSpeech, wavBytes } from "./helpers/audio.ts";

const root = join(import.meta.dir, "..");
const model = join(root, "models/synth-micro.en.bin");
const main = join(root, "src/main.ts");
let dir: string;
let short: string;
let long: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "sona-cli-progress-"));
  short = join(dir, "short.wav");
  writeFileSync(short, wavBytes(syntheticSpeech(3)));
  // long enough that it is still running when the test has seen its first segment: a second
  // 30-s window is still to decode then (~10 s of work in all on 2 cores)
  long = join(dir, "long.wav");
  writeFileSync(long, wavBytes(syntheticSpeech(60)));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function start(...args: string[]) {
  return Bun.spawn([process.execPath, main, "transcribe", model, ...args, "--no-fallback"], { env: { ...process.env, NO_COLOR: "1" }, stdout: "pipe", stderr: "pipe" });
}

/** reads `stream` until `done(text so far)`, then keeps collecting the rest in the background */
function reader(stream: ReadableStream<Uint8Array>) {
  let text = "";
  const waiters: (() => void)[] = [];
  const finished = (async () => {
    const decoder = new TextDecoder();
    for await (const chunk of stream) {
      text += decoder.decode(chunk, { stream: true });
      waiters.splice(0).forEach((w) => w());
    }
    waiters.splice(0).forEach((w) => w());
  })();
  return {
    get text() { return text; },
    finished,
    async until(ok: (t: string) => boolean): Promise<void> {
      let ended = false;
      finished.then(() => (ended = true));
      while (!ok(text) && !ended) await new Promise<void>((r) => waiters.push(r));
    },
  };
}

describe("progress and partial results", () => {
  test("stderr off a terminal gets plain progress lines", () => {
    const p = Bun.spawnSync([process.execPath, main, "transcribe", model, short, "--no-fallback"], { env: { ...process.env, NO_COLOR: "1" }, stderr: "pipe", stdout: "pipe" });
    expect(p.exitCode).toBe(0);
    const lines = p.stderr.toString().trim().split("\n");
    expect(lines.at(-1)).toBe("transcribing 100%");
    for (const l of lines) expect(l).toMatch(/^transcribing \d+%( eta \S+)?$/); // no bar, no carriage returns
  });

  test("srt segments reach stdout as decoded; SIGTERM keeps them, says partial, exits 143", async () => {
    const proc = start(long, "-f", "srt");
    const out = reader(proc.stdout);
    const err = reader(proc.stderr);
    await out.until((t) => t.includes("-->"));
    proc.kill("SIGTERM");
    expect(await proc.exited).toBe(143);
    await Promise.all([out.finished, err.finished]);
    expect(err.text).toMatch(/sona: interrupted: the transcript is partial \(up to \S+ of 1m00s\)\n$/);
    const cues = out.text.trimEnd().split("\n\n");
    expect(cues.length).toBeGreaterThan(0);
    cues.forEach((c, i) => expect(c).toMatch(new RegExp(`^${i + 1}\\n\\d\\d:\\d\\d:\\d\\d,\\d{3} --> \\d\\d:\\d\\d:\\d\\d,\\d{3}\\n`)));
  });

  test("Ctrl-C with -o writes the partial result there and exits 130", async () => {
    const file = join(dir, "partial.json");
    const proc = start(long, "-o", file);
    const err = reader(proc.stderr);
    await err.until((t) => t.includes("transcribing"));
    proc.kill("SIGINT");
    expect(await proc.exited).toBe(130);
    await err.finished;
    expect(err.text).toContain("the transcript is partial");
    expect(Object.keys(JSON.parse(readFileSync(file, "utf8")))).toEqual(["text", "usage"]);
  });

  test("on a terminal, a final line gives the duration, the time taken and the speed", () => {
    // script(1) runs the command on a pseudo-terminal
    const out = join(dir, "tty.json");
    const cmd = `${process.execPath} ${main} transcribe ${model} ${short} --no-fallback -o ${out}`;
    const p = Bun.spawnSync(["script", "-qec", cmd, "/dev/null"], { env: { ...process.env, NO_COLOR: "1" }, stdout: "pipe", stderr: "pipe" });
    expect(p.exitCode).toBe(0);
    expect(p.stdout.toString()).toMatch(/\n3s of audio in \d+s \(\d+\.\dx real time\)\r?\n/);
  });
});
