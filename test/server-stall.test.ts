// Stalled clients must not hold the single-transcription gate: an upload that stops sending (a
// slowloris client on 127.0.0.1) and a client that stops reading its streamed response are both
// ended after the idle limit, the partial file removed and the gate freed; a slow but moving
// upload is never cut off. The limit here is a few seconds (the default is 30 s); the checks are
// on behaviour and order, never on how long anything took.
import { afterAll, expect, test } from "bun:test";
import { connect, type Socket } from "node:net";
import type { DecodeOptions, TranscribeHooks, TranscriptResult } from "../src/engine/index.ts";
import { SonaError } from "../src/errors.ts";
import { FakeEngine } from "./fake-engine.ts";
import { audioForm, eventually, postAudio, startTestServer, testWav } from "./helpers/server.ts";

const IDLE_MS = 2000;
const engine = new FakeEngine();
await engine.load("fake.bin");
const server = startTestServer(engine, { idleTimeoutMs: IDLE_MS });
const { base } = server;
const port = Number(new URL(base).port);
afterAll(() => server.close());

const BOUNDARY = "sona-stall-boundary";
const partHead = `--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="speech.wav"\r\nContent-Type: application/octet-stream\r\n\r\n`;

function open(): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect(port, "127.0.0.1", () => resolve(s));
    s.once("error", reject);
  });
}

function headers(length: number, extra = ""): string {
  return `POST /v1/audio/transcriptions HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: multipart/form-data; boundary=${BOUNDARY}\r\nContent-Length: ${length}\r\n${extra}\r\n`;
}

/** The server's first complete response (by Content-Length), or what came before a close or `ms`. */
function received(s: Socket, ms: number): Promise<string> {
  return new Promise((resolve) => {
    let text = "";
    const done = () => {
      clearTimeout(timer);
      resolve(text);
    };
    const timer = setTimeout(done, ms);
    s.setEncoding("latin1");
    s.on("data", (d: string) => {
      text += d;
      const end = text.indexOf("\r\n\r\n");
      const length = /\r\ncontent-length: *(\d+)/i.exec(text.slice(0, end))?.[1];
      if (end >= 0 && length !== undefined && text.length >= end + 4 + Number(length)) done();
    });
    s.on("close", done);
  });
}

test("an upload that stops sending is ended with 408, its partial file removed, the gate freed", async () => {
  const s = await open();
  const answer = received(s, 60_000);
  s.write(headers(10 * 1024 * 1024) + partHead + "x".repeat(1024)); // 1 KB of a declared 10 MB
  // the stalled upload holds the gate meanwhile (and its temp file exists)
  expect(await eventually(() => server.leftovers().length === 1, 10_000)).toBe(true);
  expect((await postAudio(base)).status).toBe(429);
  const text = await answer;
  expect(text).toStartWith("HTTP/1.1 408");
  const body = JSON.parse(text.slice(text.indexOf("\r\n\r\n") + 4));
  expect(body.error).toMatchObject({ code: "timeout", param: "file" });
  expect(body.error.message).toContain("--upload-idle-timeout");
  s.destroy();
  expect(server.leftovers()).toEqual([]);
  expect((await postAudio(base)).status).toBe(200);
}, 90_000);

test("a slow upload that keeps sending is not cut off, even when it lasts longer than the limit", async () => {
  const wav = testWav();
  const tail = `\r\n--${BOUNDARY}--\r\n`;
  const body = Buffer.concat([Buffer.from(partHead), Buffer.from(wav), Buffer.from(tail)]);
  const s = await open();
  const answer = received(s, 60_000);
  s.write(headers(body.length, "Connection: close\r\n"));
  // 25 pieces, one every IDLE_MS / 10: the whole upload takes 2.5 times the idle limit
  const pieces = 25;
  const step = Math.ceil(body.length / pieces);
  for (let i = 0; i < pieces; i++) {
    s.write(body.subarray(i * step, (i + 1) * step));
    await Bun.sleep(IDLE_MS / 10);
  }
  const text = await answer;
  expect(text).toStartWith("HTTP/1.1 200");
  expect(JSON.parse(text.slice(text.indexOf("\r\n\r\n") + 4)).text).toBe("Fake one. Fake two.");
  s.destroy();
}, 90_000);

/** Emits large segment events as fast as it can until aborted: a stream nobody reads fills up. */
class FloodEngine extends FakeEngine {
  override async transcribe(_samples: Float32Array, _options: DecodeOptions, hooks: TranscribeHooks = {}): Promise<TranscriptResult> {
    this.running = true;
    try {
      const text = " word".repeat(20_000);
      for (let id = 0; ; id++) {
        if (hooks.signal?.aborted) {
          this.aborted++;
          throw new SonaError("aborted", "transcription aborted");
        }
        hooks.onEvent?.({ type: "segment", segment: { id, t0: id, t1: id + 1, text, tokens: [], noSpeechProb: 0, temperature: 0 } });
        await Bun.sleep(1);
      }
    } finally {
      this.running = false;
    }
  }
}

test("a client that stops reading its streamed response is dropped after the limit, and the gate is freed", async () => {
  const flood = new FloodEngine();
  await flood.load("fake.bin");
  const logs: string[] = [];
  const flooded = startTestServer(flood, { idleTimeoutMs: IDLE_MS, log: (l) => logs.push(l) });
  try {
    const form = new Response(audioForm({ stream: "true" }));
    const type = form.headers.get("content-type")!;
    const bytes = Buffer.from(await form.arrayBuffer());
    const s = await new Promise<Socket>((resolve, reject) => {
      const c = connect(Number(new URL(flooded.base).port), "127.0.0.1", () => resolve(c));
      c.once("error", reject);
    });
    const closed = new Promise<void>((resolve) => s.once("close", () => resolve()));
    s.on("error", () => {});
    s.write(`POST /v1/audio/transcriptions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: ${type}\r\nContent-Length: ${bytes.length}\r\n\r\n`);
    s.write(bytes);
    s.pause(); // and never read: the socket buffers fill, then the stream's outbox does
    expect(await eventually(() => flood.running, 10_000)).toBe(true);
    expect((await postAudio(flooded.base)).status).toBe(429);
    // the server gives up on the reader: the job is aborted and the connection dropped
    expect(await eventually(() => flood.aborted === 1 && !flood.running, 60_000)).toBe(true);
    // reading again, the client finds what the socket held, then the end of the connection
    s.resume();
    await closed;
    expect(logs.some((l) => l.includes("read nothing of its stream"))).toBe(true);
    expect(await eventually(() => flooded.leftovers().length === 0, 10_000)).toBe(true);
    // the gate is free (a request would now start another endless flood, so look at the gate)
    expect(await eventually(() => !flooded.app.sona.gate.busy, 10_000)).toBe(true);
  } finally {
    await flooded.close();
  }
}, 90_000);
