// An app on 127.0.0.1:<random port> for route tests, and request builders.
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Engine } from "../../src/engine/index.ts";
import { createApp, type AppOptions } from "../../src/server/app.ts";
import { listen } from "../../src/server/lifecycle.ts";
import { syntheticSpeech, wavBytes } from "./audio.ts";

export const MODELS_DIR = join(import.meta.dir, "../../models");
export const MICRO_EN = join(MODELS_DIR, "synth-micro.en.bin");
export const MICRO = join(MODELS_DIR, "synth-micro.bin");

export interface TestServer {
  base: string;
  app: ReturnType<typeof createApp>;
  tmpDir: string;
  /** upload temp files still on disk */
  leftovers(): string[];
  close(): Promise<void>;
}

export function startTestServer(engine: Engine, options: Omit<AppOptions, "engine" | "context"> = {}): TestServer {
  const tmpDir = mkdtempSync(join(tmpdir(), "sona-test-"));
  const logs: string[] = [];
  const app = createApp({ engine, tmpDir, log: (l) => logs.push(l), ...options });
  const server = listen(app, "127.0.0.1", 0);
  return {
    base: `http://127.0.0.1:${server.port}`,
    app,
    tmpDir,
    leftovers: () => readdirSync(tmpDir),
    async close() {
      await server.stop(true);
      rmSync(tmpDir, { recursive: true, force: true });
    },
  };
}

let cachedWav: Uint8Array | undefined;
/** 3 s of synthetic speech as a 16 kHz WAV */
export function testWav(): Uint8Array {
  cachedWav ??= wavBytes(syntheticSpeech(3));
  return cachedWav;
}

/** A multipart form with the test WAV (or `file`) and the given fields; arrays repeat the field. */
export function audioForm(fields: Record<string, string | string[]> = {}, file: Uint8Array | null = testWav()): FormData {
  const form = new FormData();
  if (file) form.append("file", new Blob([file as BlobPart], { type: "application/octet-stream" }), "speech.wav");
  for (const [name, value] of Object.entries(fields)) {
    for (const v of ([] as string[]).concat(value)) form.append(name, v);
  }
  return form;
}

export function postAudio(base: string, fields: Record<string, string | string[]> = {}, init: RequestInit = {}, path = "/v1/audio/transcriptions"): Promise<Response> {
  return fetch(base + path, { method: "POST", body: audioForm(fields), ...init });
}

/** Polls `check` until it holds or `ms` pass (temp-file removal trails the end of a stream). The
 * default is generous: it returns as soon as `check` holds, and a loaded machine may be slow. */
export async function eventually(check: () => boolean, ms = 10_000): Promise<boolean> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (check()) return true;
    await Bun.sleep(10);
  }
  return check();
}
