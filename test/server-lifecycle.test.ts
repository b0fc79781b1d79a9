// Shutdown, idle unload and the shutdown watch, in process with the fake engine (the child-process
// view is in serve-process.test.ts).
import { describe, expect, test } from "bun:test";
import { listen, readyLine, shutdown, startIdleUnload, watchForShutdown } from "../src/server/lifecycle.ts";
import { FakeEngine } from "./fake-engine.ts";
import { eventually, MICRO_EN, postAudio, startTestServer } from "./helpers/server.ts";

describe("readyLine", () => {
  test("one line, keys in alphabetical order", () => {
    expect(readyLine({ version: "0.1.0", port: 52341, commit: "abc12345" })).toBe('{"commit":"abc12345","port":52341,"status":"ready","version":"0.1.0"}\n');
  });
});

describe("shutdown", () => {
  test("lets a running transcription finish within the grace period, then closes the engine", async () => {
    const engine = new FakeEngine({ stepMs: 40 });
    const s = startTestServer(engine);
    await engine.load(MICRO_EN);
    const running = postAudio(s.base, { stream: "true" });
    while (!engine.running) await Bun.sleep(2);
    const server = listen(s.app, "127.0.0.1", 0); // a second listener to stop; the test server keeps the first
    await shutdown(s.app.sona, server, { graceMs: 5000 });
    const lines = (await (await running).text()).trim().split("\n");
    expect(JSON.parse(lines.at(-1)!).type).toBe("result");
    expect(engine.model).toBeNull(); // closed
    await s.close();
  });

  test("aborts it when the grace period runs out: the stream ends with an error event", async () => {
    const engine = new FakeEngine({ stepMs: 300 });
    const s = startTestServer(engine);
    await engine.load(MICRO_EN);
    const res = await postAudio(s.base, { stream: "true" });
    while (!engine.running) await Bun.sleep(2);
    const server = listen(s.app, "127.0.0.1", 0);
    await shutdown(s.app.sona, server, { graceMs: 100 });
    const last = JSON.parse((await res.text()).trim().split("\n").at(-1)!);
    expect(last).toEqual({ type: "error", code: "aborted", message: "transcription aborted: the server is shutting down" });
    expect(s.app.sona.gate.busy).toBe(false);
    expect(s.leftovers()).toEqual([]);
    await s.close();
  });

  test("a second signal (hurry) stops waiting at once", async () => {
    const engine = new FakeEngine({ stepMs: 300 });
    const s = startTestServer(engine);
    await engine.load(MICRO_EN);
    const res = postAudio(s.base);
    while (!engine.running) await Bun.sleep(2);
    const server = listen(s.app, "127.0.0.1", 0);
    // the fake takes 5 x 300 ms and the grace is 30 s: a 503 means shutdown stopped waiting
    await shutdown(s.app.sona, server, { graceMs: 30_000, hurry: Bun.sleep(50) });
    expect((await res).status).toBe(503);
    await s.close();
  });
});

describe("startIdleUnload", () => {
  test("unloads after the timeout with the gate free; use restarts the clock; nothing runs without a model", async () => {
    const engine = new FakeEngine();
    const s = startTestServer(engine);
    await engine.load(MICRO_EN);
    const stop = startIdleUnload(s.app.sona, 150);
    await Bun.sleep(100);
    expect((await postAudio(s.base)).status).toBe(200); // activity: the clock restarts when it ends
    await Bun.sleep(100);
    expect(engine.model).not.toBeNull();
    const lease = s.app.sona.gate.tryAcquire()!; // a long request holds the model
    await Bun.sleep(250);
    expect(engine.model).not.toBeNull();
    lease.release();
    await Bun.sleep(250);
    expect(engine.model).toBeNull();
    stop();
    await s.close();
  });

  test("after the idle unload /ready says unloaded_idle, and the next transcription loads the model again", async () => {
    const engine = new FakeEngine();
    const s = startTestServer(engine);
    await engine.load(MICRO_EN);
    const stop = startIdleUnload(s.app.sona, 50);
    expect(await eventually(() => engine.model === null, 2000)).toBe(true);
    const ready = await fetch(`${s.base}/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ model: "synth-micro.en.bin", status: "unloaded_idle", slots: { busy: 0, total: 1, queued: 0 } });
    const res = await postAudio(s.base);
    expect(res.status).toBe(200);
    expect(engine.loads).toEqual([MICRO_EN, MICRO_EN]);
    expect(await (await fetch(`${s.base}/ready`)).json()).toEqual({ model: "synth-micro.en.bin", status: "ready", slots: { busy: 0, total: 1, queued: 0 } });
    stop();
    await s.close();
  });

  test("an explicit unload is not undone; a reload that fails is a 503 that says why", async () => {
    const engine = new FakeEngine();
    const s = startTestServer(engine);
    await engine.load(MICRO_EN);
    const stop = startIdleUnload(s.app.sona, 50);
    expect(await eventually(() => engine.model === null, 2000)).toBe(true);
    engine.load = async () => {
      throw new Error("the file is gone");
    };
    const failed = await postAudio(s.base);
    expect(failed.status).toBe(503);
    expect((await failed.json()).error.message).toBe("the model synth-micro.en.bin was unloaded while idle and could not be loaded again: the file is gone");
    expect((await fetch(`${s.base}/v1/models`, { method: "DELETE" })).status).toBe(200);
    expect((await fetch(`${s.base}/ready`)).status).toBe(503);
    expect((await (await postAudio(s.base)).json()).error.code).toBe("no_model");
    stop();
    await s.close();
  });

  test("0 means never", async () => {
    const engine = new FakeEngine();
    const s = startTestServer(engine);
    await engine.load(MICRO_EN);
    const stop = startIdleUnload(s.app.sona, 0);
    await Bun.sleep(50);
    expect(engine.model).not.toBeNull();
    stop();
    await s.close();
  });
});

describe("watchForShutdown", () => {
  test("the first signal is the reason, a second one hurries", async () => {
    const watch = watchForShutdown({ exitWithParent: false });
    expect(watch.fired).toBe(false);
    process.emit("SIGTERM" as never);
    expect(await watch.reason).toBe("SIGTERM");
    expect(watch.fired).toBe(true);
    let hurried = false;
    void watch.hurry.then(() => (hurried = true));
    process.emit("SIGINT" as never);
    await Bun.sleep(0);
    expect(hurried).toBe(true);
    watch.stop();
  });
});
