// GET /v1/audio/live (the original Sona's protocol) over a real socket on 127.0.0.1: real speech
// (espeak-ng sentences with known silences) through the real engine, Silero and a synthetic whisper
// model (times and events only, never the text); the gate, the model check and every bad input
// with the fake engine.
import { describe, expect, test } from "bun:test";
import { FakeEngine } from "./fake-engine.ts";
import { liveTestServers } from "./helpers/live-servers.ts";
import { eventually, postAudio, startTestServer } from "./helpers/server.ts";
import { openEvents, rawUpgrade, sendF32 } from "./helpers/ws.ts";

const live = liveTestServers();
const { real, server, fake } = live;

const wsUrl = (base: string) => `${base.replace("http", "ws")}/v1/audio/live`;
const start = async (base: string, fields: Record<string, unknown> = {}) => {
  const s = await openEvents(wsUrl(base));
  s.ws.send(JSON.stringify({ type: "start", ...fields }));
  await s.next((e) => e.type === "ready" || e.type === "error");
  return s;
};

describe("GET /v1/audio/live", () => {
  test("three utterances give exactly three segments within 0.3 s of the speech, partials before each", async () => {
    const s = await start(real.base);
    expect(s.events.map((e) => e.type)).toEqual(["ready"]);
    sendF32(s.ws, live.spoken.samples, 40);
    s.ws.send(JSON.stringify({ type: "stop" }));
    await s.next((e) => e.type === "stopped", 120_000);
    await s.closed;
    const segments = s.events.filter((e) => e.type === "segment");
    expect(segments).toHaveLength(3);
    for (const [i, seg] of segments.entries()) {
      expect(Math.abs(seg.start - live.spoken.utterances[i]!.start)).toBeLessThanOrEqual(0.3);
      expect(Math.abs(seg.end - live.spoken.utterances[i]!.end)).toBeLessThanOrEqual(0.3);
      expect(typeof seg.text).toBe("string");
    }
    // each segment's partials come before it and lie inside its utterance
    const types = s.events.map((e) => e.type);
    expect(types.at(-1)).toBe("stopped");
    expect(types.filter((t) => t === "error")).toHaveLength(0);
    let before = 0;
    for (const e of s.events) {
      if (e.type === "partial") {
        expect(e.start).toBeCloseTo(segments[before]!.start, 3);
        expect(e.end).toBeLessThanOrEqual(segments[before]!.end + 1);
      }
      if (e.type === "segment") before++;
    }
    expect(types.filter((t) => t === "partial").length).toBeGreaterThanOrEqual(3);
    expect(real.app.sona.gate.busy).toBe(false);
  }, 180_000);

  test("partial_mode off: segments only", async () => {
    const s = await start(real.base, { partial_mode: "off" });
    sendF32(s.ws, live.spoken.samples.subarray(0, Math.round((live.spoken.utterances[0]!.end + 1) * 16000)), 100);
    s.ws.send(JSON.stringify({ type: "stop" }));
    await s.next((e) => e.type === "stopped", 120_000);
    expect(s.events.map((e) => e.type)).toEqual(["ready", "segment", "stopped"]);
  }, 120_000);
});

describe("the gate and the model", () => {
  test("busy: 429 with Retry-After before the upgrade", async () => {
    const lease = server.app.sona.gate.tryAcquire()!;
    try {
      const res = await rawUpgrade(server.base, "/v1/audio/live");
      expect(res.status).toBe(429);
      expect(res.text).toMatch(/retry-after: 1/i);
      expect(res.text).toContain('"code":"busy"');
    } finally {
      lease.release();
    }
  });

  test("a foreign Host is 403 before the upgrade, on both live routes (DNS rebinding)", async () => {
    const port = new URL(server.base).port;
    for (const path of ["/v1/audio/live", "/v1/realtime?intent=transcription"]) {
      const res = await rawUpgrade(server.base, path, `rebind.evil.example:${port}`);
      expect(res.status).toBe(403);
      expect(res.text).toContain('"code":"forbidden"');
    }
  });

  test("no model: 503 before the upgrade", async () => {
    const empty = startTestServer(new FakeEngine());
    try {
      const res = await rawUpgrade(empty.base, "/v1/audio/live");
      expect(res.status).toBe(503);
      expect(res.text).toContain('"code":"no_model"');
    } finally {
      await empty.close();
    }
  });

  test("a live session holds the gate: an HTTP transcription gets 429; a disconnect frees it", async () => {
    const s = await start(server.base);
    expect(server.app.sona.gate.busy).toBe(true);
    const res = await postAudio(server.base);
    expect(res.status).toBe(429);
    await res.body?.cancel();
    // mid-utterance: loud audio (the fake VAD calls it speech), then the client goes away
    s.ws.send(new Float32Array(16000).fill(0.5));
    s.ws.close();
    expect(await eventually(() => !server.app.sona.gate.busy, 5000)).toBe(true);
    const after = await postAudio(server.base);
    expect(after.status).toBe(200);
    await after.text();
  });

  test("stop frees the gate; shutdown ends a session with stopped", async () => {
    const s = await start(server.base);
    s.ws.send(JSON.stringify({ type: "stop" }));
    await s.next((e) => e.type === "stopped");
    await s.closed;
    expect(await eventually(() => !server.app.sona.gate.busy, 5000)).toBe(true);

    const other = startTestServer(fake);
    try {
      const t = await start(other.base);
      other.app.sona.stopping.abort();
      await t.next((e) => e.type === "stopped");
      await t.closed;
      expect(await eventually(() => !other.app.sona.gate.busy, 5000)).toBe(true);
    } finally {
      await other.close();
    }
  });
});

describe("bad input gets an error event and the session goes on", () => {
  test("before start: not JSON, unknown types, audio, a bad start", async () => {
    const s = await openEvents(wsUrl(server.base));
    const errorAfter = async (send: () => void) => {
      const from = s.events.length;
      send();
      return s.next((e) => e.type === "error", 10_000, from);
    };
    expect((await errorAfter(() => s.ws.send("hello"))).message).toMatch(/JSON object/);
    expect((await errorAfter(() => s.ws.send("{broken"))).message).toMatch(/JSON object/);
    expect((await errorAfter(() => s.ws.send("42"))).message).toMatch(/JSON object/);
    expect((await errorAfter(() => s.ws.send(JSON.stringify({ type: "dance" })))).message).toMatch(/unknown message type "dance"/);
    expect((await errorAfter(() => s.ws.send(new Float32Array(160)))).message).toMatch(/audio before the start message/);
    expect((await errorAfter(() => s.ws.send(JSON.stringify({ type: "start", partial_mode: "sometimes" })))).message).toMatch(/partial_mode/);
    expect((await errorAfter(() => s.ws.send(JSON.stringify({ type: "start", partial_interval_ms: "fast" })))).message).toMatch(/partial_interval_ms/);
    expect((await errorAfter(() => s.ws.send(JSON.stringify({ type: "start", colour: "blue" })))).message).toMatch(/unknown field colour/);
    const vad = await errorAfter(() => s.ws.send(JSON.stringify({ type: "start", vad_model: "/nonexistent/silero.bin" })));
    expect(vad.code).toBe("invalid_request");
    expect(vad.message).toMatch(/failed to load VAD model/);
    for (const e of s.events) expect(e.type).toBe("error");

    // the session goes on: a good start, then audio and a stop
    s.ws.send(JSON.stringify({ type: "start" }));
    await s.next((e) => e.type === "ready");
    expect((await errorAfter(() => s.ws.send(new Uint8Array(7)))).message).toMatch(/4 bytes each/);
    expect((await errorAfter(() => s.ws.send(new Uint8Array(15 * 1024 * 1024 + 4)))).code).toBe("too_large");
    expect((await errorAfter(() => s.ws.send(JSON.stringify({ type: "start" })))).message).toMatch(/already started/);
    s.ws.send(new Float32Array(16000));
    s.ws.send(JSON.stringify({ type: "stop" }));
    await s.next((e) => e.type === "stopped");
    await s.closed;
    expect(await eventually(() => !server.app.sona.gate.busy, 5000)).toBe(true);
  }, 60_000);
});
