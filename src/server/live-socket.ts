// The WebSocket side every live route shares (Bun's native WebSocket through Elysia's .ws()): the
// gate and the model are checked before the upgrade (429 busy with Retry-After, 503 no_model, in
// the usual error body, through the app's onError); the session then holds the gate for its life,
// and a disconnect, the route's own end, or the server shutting down releases it. What the frames
// mean is the protocol's business (routes/live.ts, openai/realtime.ts).
import { timingSafeEqual } from "node:crypto";
import { Elysia } from "elysia";
import type { Lease } from "./busy.ts";
import type { ServerContext } from "./context.ts";
import { busyError, noModelError } from "./respond.ts";

/** the largest frame a protocol is handed; OpenAI caps an append at 15 MiB, the original too */
export const MAX_FRAME_BYTES = 15 * 1024 * 1024;
/** Bun refuses (closes with 1009) only past this, so a frame between gets an error event instead */
export const WEBSOCKET_MAX_PAYLOAD = 32 * 1024 * 1024;

export interface SocketIO {
  /** sends one JSON event */
  send(event: object): void;
  /** ends the connection (and the session) */
  close(code?: number, reason?: string): void;
  query: Record<string, string | undefined>;
  lease: Lease;
}

export interface LiveProtocol {
  /** a text frame (Elysia has already JSON-parsed what looked like JSON) or a binary frame */
  message(data: unknown): void;
  /** the socket is gone, or the server is stopping: stop work, send nothing more */
  end(): void;
  /** the server is shutting down (the protocol may say so before the socket closes) */
  shutdown?(): void;
}

const KEY_PROTOCOL = "openai-insecure-api-key.";

/**
 * The API key a WebSocket upgrade may carry where a browser cannot set Authorization: OpenAI's
 * `openai-insecure-api-key.<key>` subprotocol, or an `api_key` query parameter.
 */
export function upgradeKeyMatches(request: Request, key: string): boolean {
  if (request.headers.get("upgrade")?.toLowerCase() !== "websocket") return false;
  const offered = (request.headers.get("sec-websocket-protocol") ?? "").split(",").map((p) => p.trim());
  const candidates = [...offered.filter((p) => p.startsWith(KEY_PROTOCOL)).map((p) => p.slice(KEY_PROTOCOL.length))];
  const query = new URL(request.url).searchParams.get("api_key");
  if (query !== null) candidates.push(query);
  const b = Buffer.from(key);
  return candidates.some((c) => {
    const a = Buffer.from(c);
    return a.length === b.length && timingSafeEqual(a, b);
  });
}

/** The subprotocol the server answers with: the first offered that is not a key (a client offering some must get one back). */
function chosenProtocol(request: Request): string | undefined {
  const offered = (request.headers.get("sec-websocket-protocol") ?? "").split(",").map((p) => p.trim()).filter(Boolean);
  return offered.find((p) => !p.startsWith(KEY_PROTOCOL)) ?? offered[0];
}

/** `accept` may refuse a request by its query before the upgrade (throw a SonaError: a 4xx). */
export function liveSocket(
  ctx: ServerContext,
  name: string,
  path: string,
  protocol: (io: SocketIO) => LiveProtocol,
  accept?: (query: Record<string, string | undefined>) => void,
) {
  const sessions = new WeakMap<object, { protocol: LiveProtocol; release: () => void }>();
  return new Elysia({ name }).ws(path, {
    // Elysia would list it under a "ws" method, which OpenAPI does not have; docs/API.md describes it
    detail: { hide: true },
    upgrade({ request, set }) {
      const protocol = chosenProtocol(request);
      if (protocol) set.headers["sec-websocket-protocol"] = protocol;
    },
    beforeHandle({ query }) {
      accept?.(query as Record<string, string | undefined>);
      if (ctx.gate.busy) throw busyError();
      if (!ctx.engine.model) throw noModelError();
    },
    open(ws) {
      const lease = ctx.gate.tryAcquire();
      const send = (event: object) => {
        if (ws.raw.readyState === 1) ws.raw.send(JSON.stringify(event));
      };
      if (!lease) {
        // taken between the check and the upgrade
        send({ type: "error", code: "busy", message: busyError().message });
        return ws.raw.close(1013, "busy");
      }
      let stop: () => void = () => {};
      const release = () => {
        lease.release();
        stop();
      };
      const p = protocol({
        send,
        close: (code = 1000, reason) => {
          release();
          ws.raw.close(code, reason);
        },
        query: ws.data.query as Record<string, string | undefined>,
        lease,
      });
      // shutdown: tell the protocol, which ends its session and closes the socket soon
      const onShutdown = () => (p.shutdown ? p.shutdown() : (p.end(), ws.raw.close(1001, "server shutting down")));
      ctx.stopping.signal.addEventListener("abort", onShutdown, { once: true });
      stop = () => ctx.stopping.signal.removeEventListener("abort", onShutdown);
      sessions.set(ws.raw, { protocol: p, release });
    },
    message(ws, data) {
      sessions.get(ws.raw)?.protocol.message(data);
    },
    close(ws) {
      const s = sessions.get(ws.raw);
      sessions.delete(ws.raw);
      s?.protocol.end();
      s?.release();
    },
  });
}

/** A binary frame's bytes, or undefined for a text frame. */
export function binaryFrame(data: unknown): Uint8Array | undefined {
  if (data instanceof Uint8Array) return data;
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  return undefined;
}

/** A text frame as a JSON object, or a reason it is not one. */
export function jsonFrame(data: unknown): { event: Record<string, unknown> } | { problem: string } {
  if (data !== null && typeof data === "object" && !Array.isArray(data)) return { event: data as Record<string, unknown> };
  return { problem: "a text frame must be a JSON object with a \"type\"" };
}
