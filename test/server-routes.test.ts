// Runner and model routes through a real socket, with the fake engine: status codes, exact bodies,
// the error envelope for everything Elysia would otherwise answer itself.
import { afterAll, beforeEach, describe, expect, test } from "bun:test";
import { copyFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { FakeEngine } from "./fake-engine.ts";
import { audioForm, MICRO, MICRO_EN, startTestServer } from "./helpers/server.ts";

const engine = new FakeEngine();
const server = startTestServer(engine);
const { base } = server;
afterAll(() => server.close());
beforeEach(async () => {
  await fetch(`${base}/v1/models`, { method: "DELETE" });
  engine.loads = [];
});

const load = (body: unknown) =>
  fetch(`${base}/v1/models/load`, { method: "POST", body: typeof body === "string" ? body : JSON.stringify(body), headers: { "content-type": "application/json" } });

async function expectError(res: Response, status: number, code: string, param: string | null = null) {
  expect(res.status).toBe(status);
  expect(res.headers.get("content-type")).toBe("application/json");
  const body = await res.json();
  expect(body).toEqual({ error: { code, message: expect.any(String), type: status >= 500 ? "server_error" : "invalid_request_error", param } });
  return body.error.message as string;
}

describe("runner routes", () => {
  test("GET /health is 200 {status: ok}", async () => {
    const res = await fetch(`${base}/health`);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('{"status":"ok","slots":{"busy":0,"total":1,"queued":0}}');
  });

  test("GET /ready is 503 not_ready without a model, 200 with the file name after a load", async () => {
    let res = await fetch(`${base}/ready`);
    expect(res.status).toBe(503);
    expect(await res.text()).toBe('{"message":"no model loaded","status":"not_ready"}');
    expect((await load({ path: MICRO_EN })).status).toBe(200);
    res = await fetch(`${base}/ready`);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('{"model":"synth-micro.en.bin","status":"ready"}');
  });

  test("unknown routes are 404 and wrong methods 405 (with Allow), in the error envelope", async () => {
    expect(await expectError(await fetch(`${base}/v2/nothing`), 404, "not_found")).toBe("no route for GET /v2/nothing");
    const res = await fetch(`${base}/health`, { method: "POST" });
    expect(res.headers.get("allow")).toBe("GET");
    await expectError(res, 405, "invalid_request");
    const put = await fetch(`${base}/v1/models`, { method: "PUT" });
    expect(put.headers.get("allow")).toBe("GET, DELETE");
    await expectError(put, 405, "invalid_request");
  });

  test("a browser request from a non-loopback origin is 403; loopback origins pass", async () => {
    await expectError(await fetch(`${base}/health`, { headers: { origin: "https://example.com" } }), 403, "forbidden");
    await expectError(await fetch(`${base}/health`, { headers: { origin: "http://127.0.0.1.example.com" } }), 403, "forbidden");
    for (const origin of ["http://localhost:3000", "http://127.0.0.1", "https://[::1]:8443"]) {
      expect((await fetch(`${base}/health`, { headers: { origin } })).status).toBe(200);
    }
    // Origin is checked against the allow-list, never against Host (which the page chooses too)
    await expectError(await fetch(`${base}/health`, { headers: { origin: "http://192.168.1.5:8080", host: "127.0.0.1" } }), 403, "forbidden");
  });

  test("DNS rebinding: a Host that is not on the allow-list is 403 on every route, whatever the Origin", async () => {
    const port = new URL(base).port;
    const evil = `rebind.evil.example:${port}`;
    for (const headers of [{ host: evil }, { host: evil, origin: `http://${evil}` }] as Record<string, string>[]) {
      await expectError(await fetch(`${base}/v1/models`, { headers }), 403, "forbidden");
      await expectError(await fetch(`${base}/health`, { headers }), 403, "forbidden");
      // the probe the issue saw: whether a path exists on this machine
      const probe = await fetch(`${base}/v1/models/load`, { method: "POST", headers, body: JSON.stringify({ path: "/etc/passwd" }) });
      expect(await expectError(probe, 403, "forbidden")).toContain("rebind.evil.example");
      await expectError(await fetch(`${base}/v1/audio/transcriptions`, { method: "POST", headers, body: audioForm() }), 403, "forbidden");
      await expectError(await fetch(`${base}/docs`, { headers }), 403, "forbidden");
    }
    expect(engine.loads).toEqual([]);
    expect(server.leftovers()).toEqual([]);
    // loopback names and addresses pass
    for (const host of [`localhost:${port}`, `127.0.0.1:${port}`, `[::1]:${port}`, `LOCALHOST.:${port}`]) {
      expect((await fetch(`${base}/v1/models`, { headers: { host } })).status).toBe(200);
    }
  });

  test("--allowed-host: a reverse proxy's name passes as Host and as Origin", async () => {
    const proxied = startTestServer(engine, { allowedHosts: ["sona.example.org", ".internal.example"] });
    try {
      for (const host of ["sona.example.org", "sona.example.org:443", "a.internal.example", "internal.example"]) {
        expect((await fetch(`${proxied.base}/health`, { headers: { host, origin: `https://${host}` } })).status).toBe(200);
      }
      await expectError(await fetch(`${proxied.base}/health`, { headers: { host: "evil.example.org" } }), 403, "forbidden");
      await expectError(await fetch(`${proxied.base}/health`, { headers: { host: "sona.example.org", origin: "https://evil.example.org" } }), 403, "forbidden");
      await expectError(await fetch(`${proxied.base}/health`, { headers: { host: "xinternal.example" } }), 403, "forbidden");
    } finally {
      await proxied.close();
    }
  });
});

describe("POST /v1/models/load", () => {
  test("loads, answers {model, status: loaded}, and lists the model OpenAI-style", async () => {
    const res = await load({ path: MICRO_EN });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ model: "synth-micro.en.bin", status: "loaded" });
    const list = await (await fetch(`${base}/v1/models`)).json();
    expect(list).toEqual({ object: "list", data: [{ id: "synth-micro.en.bin", object: "model", created: expect.any(Number), owned_by: "local" }] });
    expect(Math.abs(list.data[0].created - Date.now() / 1000)).toBeLessThan(60);
  });

  test("loading the same file with the same options again is a no-op; other options reload", async () => {
    await load({ path: MICRO_EN });
    await load({ path: MICRO_EN, no_gpu: false, gpu_device: null });
    expect(engine.loads).toEqual([MICRO_EN]);
    await load({ path: MICRO_EN, no_gpu: true });
    await load({ path: MICRO });
    expect(engine.loads).toEqual([MICRO_EN, MICRO_EN, MICRO]);
  });

  test("malformed bodies are 400 naming the field", async () => {
    const hint = 'request body must contain {"path": "..."}';
    expect(await expectError(await load("{not json"), 400, "invalid_request", "path")).toStartWith(hint);
    expect(await expectError(await load(""), 400, "invalid_request", "path")).toStartWith(hint);
    expect(await expectError(await load({}), 400, "invalid_request", "path")).toBe(hint);
    expect(await expectError(await load({ path: "  " }), 400, "invalid_request", "path")).toBe(hint);
    expect(await expectError(await load([1]), 400, "invalid_request", "path")).toBe(hint);
    await expectError(await load({ path: MICRO_EN, gpu_device: -1 }), 400, "invalid_request", "gpu_device");
    await expectError(await load({ path: MICRO_EN, gpu_device: "0" }), 400, "invalid_request", "gpu_device");
    await expectError(await load({ path: MICRO_EN, no_gpu: "yes" }), 400, "invalid_request", "no_gpu");
    await expectError(await load("x".repeat(70_000)), 413, "too_large");
    expect(engine.loads).toEqual([]);
  });

  test("a missing or invalid file is 400 and the current model stays loaded", async () => {
    await load({ path: MICRO_EN });
    const missing = await expectError(await load({ path: "/nonexistent/model.bin" }), 400, "model_not_found", "path");
    expect(missing).toContain("/nonexistent/model.bin");
    // the engine refuses it (the fake refuses names containing "broken"; WhisperEngine validates
    // the file, test/server-errors.test.ts and test/hardening.test.ts load bad files through it)
    const broken = join(server.tmpDir, "broken.bin");
    copyFileSync(MICRO, broken);
    const msg = await expectError(await load({ path: broken }), 400, "invalid_model", "path");
    expect(msg).toContain("could not load");
    expect(engine.loads).toEqual([MICRO_EN, broken]);
    expect(await (await fetch(`${base}/ready`)).json()).toEqual({ model: "synth-micro.en.bin", status: "ready" });
  });
});

describe("DELETE /v1/models", () => {
  test("unloads, idempotently; then /ready is 503, the list is empty and transcriptions are 503", async () => {
    await load({ path: MICRO_EN });
    for (let i = 0; i < 2; i++) {
      const res = await fetch(`${base}/v1/models`, { method: "DELETE" });
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ status: "unloaded" });
    }
    expect((await fetch(`${base}/ready`)).status).toBe(503);
    expect(await (await fetch(`${base}/v1/models`)).json()).toEqual({ object: "list", data: [] });
    const form = new FormData();
    form.append("file", new Blob(["x"]), "a.wav");
    await expectError(await fetch(`${base}/v1/audio/transcriptions`, { method: "POST", body: form }), 503, "no_model");
  });

  test("a load waits for a running transcription instead of swapping the model under it", async () => {
    await load({ path: MICRO_EN });
    engine.options.stepMs = 60;
    try {
      const running = fetch(`${base}/v1/audio/transcriptions`, { method: "POST", body: audioForm() });
      while (!engine.running) await Bun.sleep(5);
      const reload = await load({ path: MICRO });
      expect(reload.status).toBe(200);
      expect(engine.running as boolean).toBe(false); // the load waited for it
      expect((await running).status).toBe(200);
    } finally {
      engine.options.stepMs = 0;
    }
  });
});
