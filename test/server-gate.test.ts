// The gate, uploads and disconnects with the fake engine: 429 and 503 decided before the body is
// read, size limits while streaming, chunked uploads, and a client that goes away mid-run.
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import fc from "fast-check";
import { FakeEngine } from "./fake-engine.ts";
import { audioForm, eventually, MICRO_EN, postAudio, startTestServer, testWav } from "./helpers/server.ts";

const engine = new FakeEngine();
const server = startTestServer(engine, { maxUploadBytes: 200_000 });
const { base } = server;
const gate = server.app.sona.gate;
beforeAll(() => engine.load(MICRO_EN));
afterAll(() => server.close());
afterEach(async () => {
  engine.options = {};
  expect(await eventually(() => server.leftovers().length === 0 && !gate.busy)).toBe(true);
});

/** A multipart body that sends its first bytes and then never ends (until `stop`). */
function endlessUpload() {
  let stop!: () => void;
  const stopped = new Promise<void>((r) => (stop = r));
  const head = new TextEncoder().encode('--XyZ\r\nContent-Disposition: form-data; name="file"; filename="a.wav"\r\n\r\nRIFF');
  const body = new ReadableStream<Uint8Array>({
    async start(c) {
      c.enqueue(head);
      await stopped;
      c.close();
    },
  });
  return { body, stop, headers: { "content-type": "multipart/form-data; boundary=XyZ" } };
}

/** The form's bytes as a chunked stream with no Content-Length, the way openai-node streams files. */
function chunked(bytes: Uint8Array, chunk = 8192): ReadableStream<Uint8Array> {
  let offset = 0;
  return new ReadableStream({
    pull(c) {
      if (offset >= bytes.length) return c.close();
      c.enqueue(bytes.subarray(offset, (offset += chunk)));
    },
  });
}

async function formBytes(form: FormData): Promise<{ bytes: Uint8Array; type: string }> {
  const req = new Request("http://x/", { method: "POST", body: form });
  return { type: req.headers.get("content-type")!, bytes: new Uint8Array(await req.arrayBuffer()) };
}

describe("decided before the body is read", () => {
  // The answer waits for the rest of the body to be read and dropped (src/server/discard.ts), or
  // for a quiet second from a client that stops sending, but never for the upload to end.
  test("busy: 429 with Retry-After while the upload is still open, and no x-should-retry: false", async () => {
    engine.options.stepMs = 100;
    const running = postAudio(base);
    while (!gate.busy) await Bun.sleep(2);
    const upload = endlessUpload();
    // the upload never ends until upload.stop(): an answer at all means it did not wait for it
    const res = await fetch(`${base}/v1/audio/transcriptions`, { method: "POST", body: upload.body, headers: upload.headers, duplex: "half" } as RequestInit);
    expect(server.leftovers().length).toBeLessThanOrEqual(1); // the running request's upload, nothing spooled for this one
    expect(res.status).toBe(429);
    expect(res.headers.get("retry-after")).toBe("1");
    expect(res.headers.get("x-should-retry")).toBeNull();
    expect((await res.json()).error).toMatchObject({ code: "busy", message: "server is busy with another transcription" });
    upload.stop();
    expect((await running).status).toBe(200);
  });

  test("/ready, /health and /v1/models answer while a transcription holds the gate", async () => {
    engine.options.stepMs = 60_000; // runs until the client leaves: nothing here races its end
    const ac = new AbortController();
    let settled = false;
    const running = postAudio(base, {}, { signal: ac.signal }).catch(() => null).finally(() => (settled = true));
    while (!engine.running) await Bun.sleep(2);
    for (const path of ["/ready", "/health", "/v1/models"]) {
      expect((await fetch(`${base}${path}`)).status).toBe(200);
      expect([engine.running, gate.busy, settled]).toEqual([true, true, false]); // answered beside it, not after it
    }
    ac.abort();
    await running;
    expect(await eventually(() => !gate.busy, 10_000)).toBe(true);
    engine.options.stepMs = 0;
  });

  test("no model: 503 no_model while the upload is still open", async () => {
    await engine.unload();
    try {
      const upload = endlessUpload();
      const res = await fetch(`${base}/v1/audio/transcriptions`, { method: "POST", body: upload.body, headers: upload.headers, duplex: "half" } as RequestInit);
      expect(res.status).toBe(503);
      expect((await res.json()).error.code).toBe("no_model");
      upload.stop();
    } finally {
      await engine.load(MICRO_EN);
    }
  });
});

describe("uploads", () => {
  test("a chunked upload with no Content-Length is streamed to disk and transcribed", async () => {
    const { bytes, type } = await formBytes(audioForm({ response_format: "text" }));
    const res = await fetch(`${base}/v1/audio/transcriptions`, { method: "POST", body: chunked(bytes), headers: { "content-type": type }, duplex: "half" } as RequestInit);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe("Fake one. Fake two.\n");
    expect(engine.calls.at(-1)!.samples).toBe(48000);
  });

  test("too large: 413 from Content-Length at once, and while streaming when there is none", async () => {
    const big = new Uint8Array(300_000);
    big.set(testWav().subarray(0, 44));
    const form = audioForm({}, big);
    const calls = engine.calls.length;
    let res = await fetch(`${base}/v1/audio/transcriptions`, { method: "POST", body: form });
    expect(res.status).toBe(413);
    expect((await res.json()).error).toMatchObject({ code: "too_large", param: "file" });
    const { bytes, type } = await formBytes(form);
    res = await fetch(`${base}/v1/audio/transcriptions`, { method: "POST", body: chunked(bytes), headers: { "content-type": type }, duplex: "half" } as RequestInit);
    expect(res.status).toBe(413);
    expect((await res.json()).error.code).toBe("too_large");
    expect(engine.calls.length).toBe(calls);
    expect((await postAudio(base)).status).toBe(200);
  });

  test("a file just under the limit is accepted", async () => {
    const wav = testWav();
    expect(wav.length).toBeLessThan(200_000);
    const { bytes, type } = await formBytes(audioForm({}, wav));
    const res = await fetch(`${base}/v1/audio/transcriptions`, { method: "POST", body: chunked(bytes, 1000), headers: { "content-type": type }, duplex: "half" } as RequestInit);
    expect(res.status).toBe(200);
  });

  test("a temp dir that cannot be written is a 500, not a hang", async () => {
    const broken = startTestServer(engine, { tmpDir: "/nonexistent/sona-tmp" });
    try {
      const big = new Uint8Array(1_000_000);
      big.set(testWav().subarray(0, 44));
      const res = await fetch(`${broken.base}/v1/audio/transcriptions`, { method: "POST", body: audioForm({}, big) });
      expect(res.status).toBe(500);
      expect((await res.json()).error.message).toContain("cannot write the upload");
      expect(broken.app.sona.gate.busy).toBe(false);
    } finally {
      await broken.close();
    }
  });

  test("a second file part is 400; other parts and fields are ignored", async () => {
    const form = audioForm({ model: "whisper-1", chunking_strategy: "auto" });
    form.append("file", new Blob([testWav() as BlobPart]), "again.wav");
    expect((await (await fetch(`${base}/v1/audio/transcriptions`, { method: "POST", body: form })).json()).error.message).toContain("more than one 'file'");
    const extra = audioForm();
    extra.append("attachment", new Blob(["whatever"]), "notes.txt");
    expect((await fetch(`${base}/v1/audio/transcriptions`, { method: "POST", body: extra })).status).toBe(200);
  });
});

describe("client disconnect", () => {
  test("during the upload: the partial temp file is removed and the gate freed", async () => {
    const upload = endlessUpload();
    const ac = new AbortController();
    const pending = fetch(`${base}/v1/audio/transcriptions`, { method: "POST", body: upload.body, headers: upload.headers, duplex: "half", signal: ac.signal } as RequestInit);
    expect(await eventually(() => server.leftovers().length === 1)).toBe(true); // the temp file exists
    ac.abort();
    await pending.catch(() => {});
    upload.stop();
    expect(await eventually(() => server.leftovers().length === 0 && !gate.busy)).toBe(true);
    expect((await postAudio(base)).status).toBe(200);
  });

  for (const stream of [false, true]) {
    test(`${stream ? "streamed" : "plain"}: aborts inference, frees the gate, removes the upload; the next request works`, async () => {
      engine.options.stepMs = 200;
      const before = engine.aborted;
      const ac = new AbortController();
      const pending = postAudio(base, stream ? { stream: "true" } : {}, { signal: ac.signal });
      const res = stream ? await pending : undefined;
      if (res) await res.body!.getReader().read(); // the stream is open
      while (!engine.running) await Bun.sleep(2);
      ac.abort();
      await (res ? Promise.resolve() : pending.catch(() => {}));
      // aborted, not finished: the fake's 5 x 200 ms would otherwise end it with a result
      expect(await eventually(() => engine.aborted > before && !gate.busy, 10_000)).toBe(true);
      expect(server.leftovers()).toEqual([]);
      engine.options.stepMs = 0;
      expect((await postAudio(base)).status).toBe(200);
    });
  }

  // random points: during a slow chunked upload, between upload and inference, during inference,
  // plain or streamed; after each, the gate is free, no temp file is left and the next request works
  test("at random points of the upload and of inference (fast-check, 40 cases)", async () => {
    const forms = [await formBytes(audioForm({})), await formBytes(audioForm({ stream: "true" }))];
    await fc.assert(
      fc.asyncProperty(fc.boolean(), fc.integer({ min: 1, max: 8 }), fc.integer({ min: 0, max: 80 }), async (stream, gapMs, cutMs) => {
        const { bytes, type } = forms[Number(stream)]!;
        engine.options.stepMs = 5;
        let sent = 0;
        const body = new ReadableStream<Uint8Array>({
          async pull(c) {
            if (sent >= bytes.length) return c.close();
            await Bun.sleep(gapMs);
            c.enqueue(bytes.subarray(sent, (sent += 4096)));
          },
        });
        const ac = new AbortController();
        const pending = fetch(`${base}/v1/audio/transcriptions`, { method: "POST", body, headers: { "content-type": type }, duplex: "half", signal: ac.signal } as RequestInit)
          .then((res) => res.text())
          .catch(() => "");
        await Bun.sleep(cutMs);
        ac.abort();
        await pending;
        expect(await eventually(() => !gate.busy && server.leftovers().length === 0)).toBe(true);
        engine.options.stepMs = 0;
        expect((await postAudio(base)).status).toBe(200);
      }),
      { numRuns: 40, seed: 3 },
    );
  }, 60_000);
});
