// The TypeScript client's process handling: early exit, stop, a killed server, chatty pipes, the
// owner exiting, proxies, and the whole client under Node. Failures the real server cannot be made
// to produce on demand use sonapy's stand-in (sonapy/tests/fake_sona.py, run by python3).
import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { spawnSona, SonaClientError } from "../src/client/index.ts";
import { syntheticSpeech, wavBytes } from "./helpers/audio.ts";
import { FAKE_SONA, ROOT, scratch, script, SONA } from "./helpers/sona-binary.ts";
import { processGone } from "./helpers/sona-process.ts";

const MICRO = join(ROOT, "models", "synth-micro.en.bin");
const ONE = join(scratch, "one.wav");
await Bun.write(ONE, wavBytes(syntheticSpeech(1)));

async function rejection(p: Promise<unknown>): Promise<SonaClientError> {
  const e = await p.then(() => undefined, (err: unknown) => err);
  if (e instanceof SonaClientError) return e;
  throw e ?? new Error("expected a SonaClientError");
}

describe("the real server", () => {
  test("a bad model on the command line: process_exited with its stderr", async () => {
    const e = await rejection(spawnSona({ binary: SONA, model: "/no/such/model.bin" }));
    expect([e.status, e.code]).toEqual([null, "process_exited"]);
    expect(e.stderr.some((l) => l.includes("/no/such/model.bin"))).toBe(true);
    expect(e.message).toContain("/no/such/model.bin");
  });

  test("stop(): SIGTERM exits 0, the process is gone, idempotent, later calls fail", async () => {
    const sona = await spawnSona({ binary: SONA });
    const pid = sona.pid!;
    expect(await sona.stop()).toEqual({ code: 0, signal: null });
    expect(processGone(pid)).toBe(true);
    expect(await sona.stop()).toEqual({ code: 0, signal: null });
    expect((await rejection(sona.client.health())).code).toBe("process_exited");
  });

  test("a server killed under us is reported on the next call, with its stderr", async () => {
    await using sona = await spawnSona({ binary: SONA });
    const deadline = Date.now() + 10_000; // the "listening" log line follows the ready line
    while (!sona.stderrTail().some((l) => l.includes("listening")) && Date.now() < deadline) await Bun.sleep(20);
    process.kill(sona.pid!, "SIGKILL");
    const e = await rejection(sona.client.health());
    expect(e.code).toBe("process_exited");
    expect(e.message).toContain("SIGKILL");
    expect(e.stderr.some((l) => l.includes("listening"))).toBe(true);
  });

  test("a verbose server keeps answering", async () => {
    // whisper.cpp's and ggml's logs on stderr (--verbose; `-v` after `serve` did not enable them)
    await using sona = await spawnSona({ binary: SONA, model: MICRO, args: ["--verbose"] });
    for (let i = 0; i < 3; i++) expect(typeof (await sona.client.transcribe(ONE, { fields: { no_fallback: true } })).text).toBe("string");
    expect(sona.alive).toBe(true);
    expect(sona.stderrTail().length).toBeGreaterThan(10);
    expect(sona.stderrTail().length).toBeLessThanOrEqual(50);
  });

  test("requests bypass http_proxy", async () => {
    await using sona = await spawnSona({ binary: SONA });
    const saved = { ...process.env };
    Object.assign(process.env, { http_proxy: "http://127.0.0.1:9", HTTP_PROXY: "http://127.0.0.1:9", NO_PROXY: "", no_proxy: "" });
    try {
      expect(await sona.client.health()).toEqual({ status: "ok", slots: { busy: 0, total: 1, queued: 0 } });
    } finally {
      for (const k of ["http_proxy", "HTTP_PROXY", "NO_PROXY", "no_proxy"]) {
        if (saved[k] === undefined) delete process.env[k];
        else process.env[k] = saved[k];
      }
    }
  });

  test("an owner that exits without stop() takes the server with it", async () => {
    const owner = script("owner.ts", `
      import { spawnSona } from ${JSON.stringify(join(ROOT, "src/client/index.ts"))};
      const sona = await spawnSona({ binary: ${JSON.stringify(SONA)}, args: ["--exit-with-parent=false"] });
      console.log(sona.pid);
    `);
    const run = Bun.spawnSync([process.execPath, owner], { stdout: "pipe", stderr: "pipe", timeout: 60_000 });
    expect(run.exitCode).toBe(0);
    const pid = Number(run.stdout.toString().trim());
    const deadline = Date.now() + 5000;
    while (!processGone(pid) && Date.now() < deadline) await Bun.sleep(50);
    if (!processGone(pid)) process.kill(pid, "SIGKILL");
    expect(processGone(pid)).toBe(true);
  });

  test("Node 20: the bundled client spawns, transcribes, streams and reports errors", async () => {
    const node = Bun.which("node");
    if (!node) return console.error("node not found: Node check skipped");
    const out = join(scratch, "node-check.mjs");
    const built = Bun.spawnSync([process.execPath, "build", join(import.meta.dir, "helpers/node-client-check.ts"), "--target=node", "--format=esm", `--outfile=${out}`], { stderr: "pipe" });
    expect(built.exitCode).toBe(0);
    const env = { ...process.env, http_proxy: "http://127.0.0.1:9", HTTP_PROXY: "http://127.0.0.1:9" };
    const run = Bun.spawnSync([node, out, SONA, MICRO, ONE], { env, stdout: "pipe", stderr: "pipe", timeout: 120_000 });
    expect(run.stderr.toString()).toBe("");
    const r = JSON.parse(run.stdout.toString());
    expect(r.node).toMatch(/^v\d+/);
    expect(r.health).toEqual({ status: "ok", slots: { busy: 0, total: 1, queued: 0 } });
    expect(typeof r.json.text).toBe("string");
    expect(typeof r.text).toBe("string");
    expect(r.stream[0]).toBe("progress");
    expect(r.stream.at(-1)).toBe("result");
    expect(r.error).toEqual({ status: 400, code: "invalid_request", param: "response_format" });
    expect(r.stop).toEqual({ code: 0, signal: null });
    expect(r.early.code).toBe("process_exited");
    expect(r.early.stderr.join("\n")).toContain("/no/such/model.bin");
  });
});

describe.skipIf(!FAKE_SONA)("a stand-in server (failures on demand)", () => {
  const fake = (mode: string, readyTimeoutMs?: number) => spawnSona({ binary: FAKE_SONA!, args: [`--fake=${mode}`], readyTimeoutMs });

  test("a chatty child never blocks: 2 MB on each pipe, /health still answers", async () => {
    await using sona = await fake("chatty");
    expect((await sona.client.health()).status).toBe("ok");
    const deadline = Date.now() + 10_000;
    while (!sona.stderrTail().includes("chatty: done") && Date.now() < deadline) await Bun.sleep(50);
    expect(sona.stderrTail()).toContain("chatty: done");
    expect(sona.stderrTail().length).toBeLessThanOrEqual(50);
  });

  test("no ready line in time: ready_timeout, the child killed", async () => {
    const e = await rejection(fake("no-ready", 1000));
    expect(e.code).toBe("ready_timeout");
    expect(e.stderr).toContain("sona: thinking...");
  });

  test("a bad ready line", async () => {
    expect((await rejection(fake("bad-ready"))).code).toBe("bad_ready_line");
  });

  test("a missing binary", async () => {
    expect((await rejection(spawnSona({ binary: join(scratch, "no-such-sona") }))).code).toBe("binary_not_found");
  });

  test("a child dying later is reported on the next call", async () => {
    await using sona = await fake("die-later");
    expect((await sona.client.health()).status).toBe("ok");
    const deadline = Date.now() + 10_000;
    while (sona.alive && Date.now() < deadline) await Bun.sleep(50);
    const e = await rejection(sona.client.models());
    expect(e.code).toBe("process_exited");
    expect(e.stderr).toContain("fatal: out of memory (fake)");
  });

  test("a child dying mid-stream: process_exited with its stderr, not a silent end", async () => {
    await using sona = await fake("die-mid-stream");
    const e = await rejection((async () => { for await (const _ of sona.client.transcribeStream(ONE)) { /* drain */ } })());
    expect(e.code).toBe("process_exited");
    expect(e.stderr).toContain("fatal: ErrorOutOfHostMemory (fake)");
  });

  test("a stream error event throws with its code", async () => {
    await using sona = await fake("error-event");
    const e = await rejection((async () => { for await (const _ of sona.client.transcribeStream(ONE)) { /* drain */ } })());
    expect([e.status, e.code, e.detail]).toEqual([200, "internal_error", "whisper failed (fake)"]);
  });

  test("stop() kills a child that ignores SIGTERM", async () => {
    const sona = await fake("ignore-term");
    expect(await sona.stop(1000)).toEqual({ code: null, signal: "SIGKILL" });
  }, 30_000);

  test("stop() waits for a job that finishes within sona's 30 s grace (the old 10 s killed it)", async () => {
    const sona = await fake("slow-term"); // exits 12 s after SIGTERM
    expect(await sona.stop()).toEqual({ code: 0, signal: null });
  }, 60_000);

  test("stop() sends a second SIGTERM before SIGKILL", async () => {
    const sona = await fake("term-twice"); // exits on the second SIGTERM, as sona stops waiting then
    expect(await sona.stop(500)).toEqual({ code: 0, signal: null });
    expect(sona.stderrTail()).toContain("fake-sona: second SIGTERM; exiting");
  }, 30_000);

  test("the child is told its owner: --parent-pid with this process's pid, unless args name one", async () => {
    await using sona = await fake("serve");
    const { argv } = (await sona.client.health()) as unknown as { argv: string[] };
    expect(argv[argv.indexOf("--parent-pid") + 1]).toBe(String(process.pid));
    await using other = await spawnSona({ binary: FAKE_SONA!, args: ["--fake=serve", "--parent-pid", "1"] });
    expect(((await other.client.health()) as unknown as { argv: string[] }).argv.filter((a) => a === "--parent-pid")).toHaveLength(1);
  }, 30_000);

  test("multipart: fields and the file arrive intact", async () => {
    await using sona = await fake("serve");
    const bytes = wavBytes(syntheticSpeech(0.25));
    const echo = (await sona.client.transcribe(new File([new Uint8Array(bytes)], 'a "b".wav'), {
      language: "de", prompt: "Grüße\r\nzwei", translate: true,
      fields: { n_threads: 2, no_fallback: true, "timestamp_granularities[]": ["word", "segment"], best_of: undefined },
    })) as unknown as { fields: Record<string, string[]>; file: { filename: string; size: number; sha256: string } };
    expect(echo.fields).toEqual({
      response_format: ["json"], language: ["de"], prompt: ["Grüße\r\nzwei"], translate: ["true"],
      n_threads: ["2"], no_fallback: ["true"], "timestamp_granularities[]": ["word", "segment"],
    });
    expect(echo.file.size).toBe(bytes.length);
    expect(echo.file.sha256).toBe(new Bun.CryptoHasher("sha256").update(bytes).digest("hex"));
    expect(echo.file.filename).toBe("a %22b%22.wav");
  });
});
