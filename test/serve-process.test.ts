// `sona serve` as its owner sees it: a child process with the real engine and the micro model.
// The ready line and nothing else on stdout, loading and transcribing over HTTP, SIGTERM (also in
// the middle of a transcription) exits 0, the owner's death ends it, usage errors exit 2.
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { syntheticSpeech, wavBytes } from "./helpers/audio.ts";
import { MICRO_EN } from "./helpers/server.ts";
import { processGone, SONA, SONA_KIND, spawnSona } from "./helpers/sona-process.ts";

const dir = mkdtempSync(join(tmpdir(), "sona-serve-"));
console.error(`serve tests: sona = ${SONA_KIND}`);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const READY = /^\{"commit":"[^"]+","port":\d+,"status":"ready","version":"\d+\.\d+\.\d+[^"]*"\}\n$/;

/** Random weights make temperature fallback decode each window up to six times: tests turn it off. */
function form(seconds: number, fields: Record<string, string> = {}): FormData {
  const f = new FormData();
  f.append("no_fallback", "true");
  f.append("file", new Blob([wavBytes(syntheticSpeech(seconds)) as BlobPart]), "speech.wav");
  for (const [k, v] of Object.entries(fields)) f.append(k, v);
  return f;
}

async function until(check: () => boolean | Promise<boolean>, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await check()) return true;
    await Bun.sleep(25);
  }
  return check();
}

describe("sona serve (child process, real engine)", () => {
  test("ready line, load, transcribe, stream; SIGTERM exits 0; stdout holds only the ready line (even with -v)", async () => {
    const sona = await spawnSona(["-v", "--port", "0", "--tmp-dir", dir]);
    expect(sona.readyText).toMatch(READY);
    expect((await fetch(`${sona.base}/ready`)).status).toBe(503);
    const loaded = await fetch(`${sona.base}/v1/models/load`, { method: "POST", body: JSON.stringify({ path: MICRO_EN }) });
    expect(await loaded.json()).toMatchObject({ model: "synth-micro.en.bin", status: "loaded", device: expect.any(String) });
    const res = await fetch(`${sona.base}/v1/audio/transcriptions`, { method: "POST", body: form(3, { response_format: "verbose_json" }) });
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body).toMatchObject({ task: "transcribe", language: "english", duration: 3 });
    expect(body.segments.length).toBeGreaterThan(0);
    const stream = await (await fetch(`${sona.base}/v1/audio/transcriptions`, { method: "POST", body: form(3, { stream: "true" }) })).text();
    const events = stream.trim().split("\n").map((l) => JSON.parse(l));
    expect(events[0]).toEqual({ type: "progress", progress: 0 });
    expect(events.at(-1)).toMatchObject({ type: "result", text: body.text, language: "en", duration: 3 });
    sona.proc.kill("SIGTERM");
    expect(await sona.proc.exited).toBe(0);
    expect(await sona.rest()).toBe("");
    expect(await sona.stderr()).toContain("SIGTERM: shutting down");
  }, 30_000);

  test("SIGTERM during a transcription lets it finish, then exits 0", async () => {
    const sona = await spawnSona(["--port", "0", MICRO_EN]);
    const res = await fetch(`${sona.base}/v1/audio/transcriptions`, { method: "POST", body: form(10, { stream: "true" }) });
    const reader = res.body!.getReader();
    await reader.read(); // progress 0: the transcription has started
    sona.proc.kill("SIGTERM");
    let text = "";
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    expect(JSON.parse(text.trim().split("\n").at(-1)!)).toMatchObject({ type: "result", duration: 10 });
    expect(await sona.proc.exited).toBe(0);
    expect(await sona.stderr()).toContain("waiting up to 30 s");
  }, 60_000);

  test("a model argument is loaded before the ready line", async () => {
    const sona = await spawnSona(["--port", "0", MICRO_EN]);
    expect(await (await fetch(`${sona.base}/ready`)).json()).toMatchObject({ model: "synth-micro.en.bin", status: "ready", device: expect.any(String), slots: { busy: 0, total: 1, queued: 0 } });
    sona.proc.kill("SIGINT");
    expect(await sona.proc.exited).toBe(0);
  }, 30_000);

  test("a bad model argument: one line on stderr, exit 1, no ready line", async () => {
    const bad = join(dir, "bad.bin");
    writeFileSync(bad, "not a model");
    for (const model of [bad, join(dir, "missing.bin")]) {
      const run = Bun.spawnSync([SONA, "serve", "--port", "0", model], { stdout: "pipe", stderr: "pipe" });
      expect(run.exitCode).toBe(1);
      expect(run.stdout.toString()).toBe("");
      expect(run.stderr.toString().trim().split("\n")).toHaveLength(1);
    }
  }, 30_000);

  test("usage errors exit 2: bad --unload-timeout, SONA_UNLOAD_TIMEOUT, --port, --max-upload", async () => {
    const cases: [string[], Record<string, string>][] = [
      [["--unload-timeout", "soon"], {}],
      [[], { SONA_UNLOAD_TIMEOUT: "5 minutes" }],
      [["--port", "99999"], {}],
      [["--max-upload", "lots"], {}],
      [["--tmp-dir", join(dir, "nope")], {}],
      [["--upload-idle-timeout", "never"], {}],
      [["--parent-pid", "me"], {}],
      [[], { SONA_PARENT_PID: "-1" }],
    ];
    for (const [args, env] of cases) {
      const run = Bun.spawnSync([SONA, "serve", ...args], { stdout: "pipe", stderr: "pipe", env: { ...process.env, ...env } });
      expect(run.exitCode).toBe(2);
      expect(run.stdout.toString()).toBe("");
    }
  }, 30_000);

  test("--upload-idle-timeout ends a stalled upload with 408; --allowed-host adds a name", async () => {
    const sona = await spawnSona(["--port", "0", "--upload-idle-timeout", "1s", "--allowed-host", "sona.example.org", MICRO_EN]);
    const socket = await Bun.connect({ hostname: "127.0.0.1", port: sona.ready.port, socket: { data(_s, d) { answer += d.toString("latin1"); } } });
    let answer = "";
    socket.write(`POST /v1/audio/transcriptions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: multipart/form-data; boundary=b\r\nContent-Length: 1000000\r\n\r\n--b\r\nContent-Disposition: form-data; name="file"; filename="a.wav"\r\n\r\nRIFF`);
    expect(await until(() => answer.includes("\r\n\r\n{"), 20_000)).toBe(true);
    expect(answer).toStartWith("HTTP/1.1 408");
    socket.end();
    expect((await fetch(`${sona.base}/health`, { headers: { host: "sona.example.org" } })).status).toBe(200);
    expect((await fetch(`${sona.base}/health`, { headers: { host: "evil.example.org" } })).status).toBe(403);
    sona.proc.kill("SIGTERM");
    expect(await sona.proc.exited).toBe(0);
  }, 30_000);

  test("--unload-timeout unloads an idle model; /ready says unloaded_idle; the next request loads it again", async () => {
    const sona = await spawnSona(["--port", "0", "--unload-timeout", "1s", MICRO_EN]);
    expect((await fetch(`${sona.base}/ready`)).status).toBe(200);
    await Bun.sleep(600);
    // a request in between restarts the clock
    expect((await fetch(`${sona.base}/v1/audio/transcriptions`, { method: "POST", body: form(1) })).status).toBe(200);
    await Bun.sleep(600);
    expect((await fetch(`${sona.base}/ready`)).status).toBe(200);
    expect(await until(async () => (await (await fetch(`${sona.base}/ready`)).json()).status === "unloaded_idle", 15_000)).toBe(true);
    expect((await fetch(`${sona.base}/v1/audio/transcriptions`, { method: "POST", body: form(1) })).status).toBe(200);
    expect((await (await fetch(`${sona.base}/ready`)).json()).status).toBe("ready");
    sona.proc.kill("SIGTERM");
    expect(await sona.proc.exited).toBe(0);
    expect(await sona.stderr()).toContain("model unload timeout expired");
  }, 30_000);

  test("sona exits when its owner is killed with SIGKILL, and not with --exit-with-parent=false", async () => {
    for (const keep of [false, true]) {
      const flag = keep ? " --exit-with-parent=false" : "";
      // the shell is the owner: it starts sona, prints sona's pid, and waits
      const owner = Bun.spawn(["sh", "-c", `"${SONA}" serve --port 0${flag} & echo "pid $!"; wait`], { stdout: "pipe", stderr: "ignore" });
      const reader = owner.stdout.getReader();
      let out = "";
      while (!/pid \d+/.test(out) || !out.includes('"ready"')) out += new TextDecoder().decode((await reader.read()).value);
      const pid = Number(/pid (\d+)/.exec(out)![1]);
      owner.kill("SIGKILL");
      const started = performance.now();
      // kept: still there after three of sona's parent polls; not kept: gone (a generous bound)
      const gone = await until(() => processGone(pid), keep ? 1500 : 15_000);
      if (keep) {
        expect(gone).toBe(false);
        process.kill(pid, "SIGTERM");
        expect(await until(() => processGone(pid), 15_000)).toBe(true);
      } else {
        expect(gone).toBe(true);
        console.error(`owner killed -> sona gone after ${Math.round(performance.now() - started)} ms`);
      }
    }
  }, 30_000);

  // `sh -c 'sona serve &'`: the shell exits at once, so sona is an orphan from the start and a
  // change of its parent pid never comes; the owner names itself with --parent-pid instead
  for (const via of ["--parent-pid", "SONA_PARENT_PID"]) {
    test(`started through a shell that exits, sona exits with the owner named by ${via}`, async () => {
      const owner = Bun.spawn(["sleep", "1000"]);
      const flag = via === "--parent-pid" ? ` --parent-pid ${owner.pid}` : "";
      const env = via === "SONA_PARENT_PID" ? { ...process.env, SONA_PARENT_PID: String(owner.pid) } : process.env;
      const shell = Bun.spawn(["sh", "-c", `"${SONA}" serve --port 0${flag} & echo "pid $!"`], { stdout: "pipe", stderr: "pipe", env });
      const reader = shell.stdout.getReader();
      let out = "";
      while (!/pid \d+/.test(out) || !out.includes('"ready"')) {
        const { done, value } = await reader.read();
        if (done) throw new Error(`no ready line: ${out} ${await new Response(shell.stderr).text()}`);
        out += new TextDecoder().decode(value);
      }
      const pid = Number(/pid (\d+)/.exec(out)![1]);
      try {
        expect(await shell.exited).toBe(0); // the shell is gone: sona is an orphan now
        expect(processGone(pid)).toBe(false);
        owner.kill("SIGKILL");
        expect(await until(() => processGone(pid), 15_000)).toBe(true);
      } finally {
        if (!processGone(pid)) process.kill(pid, "SIGKILL"); // no orphan outlives a failed run
      }
    }, 30_000);
  }

  test("--parent-pid naming no running process: one line on stderr, exit 1, no ready line", async () => {
    const gone = Number(Bun.spawnSync(["sh", "-c", "echo $$"]).stdout.toString().trim());
    const run = Bun.spawnSync([SONA, "serve", "--port", "0", "--parent-pid", String(gone)], { stdout: "pipe", stderr: "pipe" });
    expect(run.exitCode).toBe(1);
    expect(run.stdout.toString()).toBe("");
    expect(run.stderr.toString()).toBe(`sona: error: the owner process ${gone} (--parent-pid) is not running\n`);
  }, 30_000);
});
