// A WebSocket test client (Bun's built-in WebSocket) that records every JSON event, and a raw
// upgrade request that shows the HTTP answer a refused upgrade gets (a WebSocket hides it).
import { connect } from "node:net";

export interface EventSocket {
  ws: WebSocket;
  events: Array<Record<string, any>>;
  /** resolves with the first event (from `from` on) that matches */
  next(match: (e: Record<string, any>) => boolean, ms?: number, from?: number): Promise<Record<string, any>>;
  closed: Promise<CloseEvent>;
}

export async function openEvents(url: string, protocols?: string[]): Promise<EventSocket> {
  const ws = new WebSocket(url, protocols);
  ws.binaryType = "arraybuffer";
  const events: Array<Record<string, any>> = [];
  const waiters = new Set<() => void>();
  ws.onmessage = (m) => {
    events.push(JSON.parse(String(m.data)));
    for (const w of waiters) w();
  };
  const closed = new Promise<CloseEvent>((resolve) => ws.addEventListener("close", (e) => {
    resolve(e);
    for (const w of waiters) w();
  }));
  await new Promise<void>((resolve, reject) => {
    ws.onopen = () => resolve();
    ws.onerror = () => reject(new Error(`could not open ${url}`));
  });
  const next = (match: (e: Record<string, any>) => boolean, ms = 60_000, from = 0) =>
    new Promise<Record<string, any>>((resolve, reject) => {
      const check = () => {
        const found = events.slice(from).find(match);
        if (found) {
          cleanup();
          resolve(found);
        } else if (ws.readyState === WebSocket.CLOSED) {
          cleanup();
          reject(new Error(`socket closed without the event; got ${JSON.stringify(events.map((e) => e.type))}`));
        }
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`no such event within ${ms} ms; got ${JSON.stringify(events.map((e) => e.type))}`));
      }, ms);
      const cleanup = () => {
        clearTimeout(timer);
        waiters.delete(check);
      };
      waiters.add(check);
      check();
    });
  return { ws, events, next, closed };
}

/** Sends an upgrade request by hand and returns the status code and the raw head and body. */
export function rawUpgrade(base: string, path: string, host?: string): Promise<{ status: number; text: string }> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => {
      socket.write(
        `GET ${path} HTTP/1.1\r\nHost: ${host ?? `${hostname}:${port}`}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          `Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`,
      );
    });
    let text = "";
    socket.on("data", (d) => {
      text += d.toString();
      // the head and a JSON body (Content-Length) have come
      const [head, body] = text.split("\r\n\r\n");
      const length = Number(/content-length:\s*(\d+)/i.exec(head ?? "")?.[1] ?? -1);
      if (body !== undefined && (length < 0 ? head!.startsWith("HTTP/1.1 101") : Buffer.byteLength(body) >= length)) {
        socket.destroy();
        resolve({ status: Number(text.split(" ")[1]), text });
      }
    });
    socket.on("error", reject);
  });
}

/** Sends `samples` as f32 frames of `chunkMs`, as fast as the socket takes them. */
export function sendF32(ws: WebSocket, samples: Float32Array, chunkMs: number, rate = 16000): void {
  const step = Math.round((chunkMs / 1000) * rate);
  for (let i = 0; i < samples.length; i += step) ws.send(samples.slice(i, i + step));
}

/** OpenAI's GA transcription session at 24 kHz with server VAD, as the Realtime tests send it. */
export const GA_TRANSCRIPTION_SESSION = {
  type: "transcription",
  audio: {
    input: {
      format: { type: "audio/pcm", rate: 24000 },
      transcription: { model: "gpt-4o-transcribe", language: "en" },
      turn_detection: { type: "server_vad", threshold: 0.5, prefix_padding_ms: 300, silence_duration_ms: 500 },
    },
  },
} as const;
