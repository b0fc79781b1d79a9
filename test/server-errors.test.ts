// Errors by origin: what goes wrong on the server's side (its ffmpeg failing to start, its registry
// file, a model that passed validation failing to load) is a 5xx, not the client's 400; a client
// that goes away is one log line, not a 500 with a stack trace; and model files are validated
// inside Engine.load, so no caller can hand whisper.cpp a file that it would misread.
import { afterAll, expect, test } from "bun:test";
import { chmodSync, copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { WhisperEngine } from "../src/engine/index.ts";
import { isSonaError } from "../src/errors.ts";
import { FakeEngine } from "./fake-engine.ts";
import { eventually, MICRO_EN, postAudio, startTestServer } from "./helpers/server.ts";

const dir = mkdtempSync(join(tmpdir(), "sona-errors-"));
const engine = new FakeEngine({ stepMs: 200 });
await engine.load("fake.bin");
const logs: string[] = [];
const server = startTestServer(engine, { log: (l) => logs.push(l) });
afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

async function withEnv<T>(name: string, value: string, fn: () => Promise<T>): Promise<T> {
  const saved = process.env[name];
  process.env[name] = value;
  try {
    return await fn();
  } finally {
    if (saved === undefined) delete process.env[name];
    else process.env[name] = saved;
  }
}

test("a client that goes away while waiting for the gate is one log line, not a 500 with a stack", async () => {
  logs.length = 0;
  const running = postAudio(server.base);
  expect(await eventually(() => engine.running, 10_000)).toBe(true);
  const ac = new AbortController();
  const unload = fetch(`${server.base}/v1/models`, { method: "DELETE", signal: ac.signal }).catch(() => null);
  expect(await eventually(() => server.app.sona.gate.queued === 1, 10_000)).toBe(true); // the DELETE waits
  ac.abort();
  await unload;
  expect((await running).status).toBe(200);
  expect(await eventually(() => logs.length > 0, 10_000)).toBe(true);
  expect(logs).toEqual(["DELETE /v1/models: the client went away before the answer"]);
  expect(engine.model).not.toBeNull(); // the abandoned unload never ran
});

test("ffmpeg that cannot be started is a 500 internal_error, not the client's 400", async () => {
  const notExecutable = join(dir, "ffmpeg");
  writeFileSync(notExecutable, "#!/bin/sh\n");
  chmodSync(notExecutable, 0o644); // even root cannot exec it: EACCES
  const mp3ish = new FormData();
  mp3ish.append("file", new Blob([new Uint8Array(4096).fill(0xff)]), "speech.mp3");
  const res = await withEnv("SONA_FFMPEG_PATH", notExecutable, () => fetch(`${server.base}/v1/audio/transcriptions`, { method: "POST", body: mp3ish }));
  expect(res.status).toBe(500);
  const { error } = await res.json();
  expect(error).toMatchObject({ code: "internal_error", type: "server_error" });
  expect(error.message).toContain("EACCES");
  expect(server.leftovers()).toEqual([]);
  expect((await postAudio(server.base)).status).toBe(200);
});

test("a broken SONA_REGISTRY_FILE is the server's fault: 500, and the model stays loaded", async () => {
  const registry = join(dir, "registry.json");
  writeFileSync(registry, "{ not json");
  const res = await withEnv("SONA_REGISTRY_FILE", registry, () =>
    fetch(`${server.base}/v1/models/load`, { method: "POST", body: JSON.stringify({ path: "tiny.en" }), headers: { "content-type": "application/json" } }),
  );
  expect(res.status).toBe(500);
  expect((await res.json()).error.code).toBe("internal_error");
  expect((await fetch(`${server.base}/ready`)).status).toBe(200);
});

test("Engine.load validates: a file whisper.cpp would accept but validate.ts refuses is invalid_model", async () => {
  // whisper.cpp ignores up to 11 bytes after the last tensor; they mean a damaged or wrong file
  const padded = join(dir, "padded.bin");
  copyFileSync(MICRO_EN, padded);
  writeFileSync(padded, Buffer.concat([readFileSync(padded), Buffer.alloc(5)]));
  const whisper = new WhisperEngine();
  try {
    const err = await whisper.load(padded).then(
      () => null,
      (e: unknown) => e,
    );
    expect(isSonaError(err) && err.code).toBe("invalid_model");
    expect(whisper.model).toBeNull();
    // a good file still loads
    expect((await whisper.load(MICRO_EN)).path).toBe(MICRO_EN);
  } finally {
    await whisper.close();
  }
}, 60_000);
