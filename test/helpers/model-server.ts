// A real HTTP server on 127.0.0.1 serving synthetic "model" files for the pull tests, with knobs for
// the failures a download must survive: dropped connections, ignored Range, no Content-Length,
// 5xx answers, redirects and slow transfers. Every request is logged.
import { randomBytes } from "node:crypto";

export interface Behaviour {
  /** close the connection abruptly after this many bytes of the file (once, then cleared) */
  dropAt?: number;
  /** answer 200 with the whole file even when asked for a Range */
  ignoreRange?: boolean;
  /** stream the body without Content-Length (chunked) */
  chunked?: boolean;
  /** answer this many requests with 503 first */
  failTimes?: number;
  /** send the body in pieces of this size with a pause between them */
  throttle?: { bytes: number; delayMs: number };
  /** a Content-Disposition file name */
  disposition?: string;
}

export interface RequestLog {
  path: string;
  range: string | null;
  status: number;
}

export function randomModel(size: number): Uint8Array {
  return new Uint8Array(randomBytes(size));
}

export function sha256(data: Uint8Array): string {
  return new Bun.CryptoHasher("sha256").update(data).digest("hex");
}

export function startModelServer(files: Record<string, Uint8Array>) {
  const behaviour: Record<string, Behaviour> = {};
  const log: RequestLog[] = [];

  function body(data: Uint8Array, from: number, b: Behaviour): ReadableStream<Uint8Array> {
    let pos = from;
    const end = b.dropAt !== undefined && b.dropAt > from ? b.dropAt : data.length;
    const drop = b.dropAt !== undefined && b.dropAt > from;
    if (drop) delete b.dropAt;
    const piece = b.throttle?.bytes ?? 64 * 1024;
    return new ReadableStream<Uint8Array>({
      async pull(ctrl) {
        if (pos >= end) {
          if (!drop) return ctrl.close();
          // let the client take what was sent (Bun's fetch drops unread data on a reset), then reset
          // the socket: an error without a reason makes Bun close it without logging anything
          await Bun.sleep(150);
          ctrl.error();
          return;
        }
        if (b.throttle && pos > from) await Bun.sleep(b.throttle.delayMs);
        const next = Math.min(end, pos + piece);
        ctrl.enqueue(data.slice(pos, next));
        pos = next;
      },
    });
  }

  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch(req) {
      const url = new URL(req.url);
      const range = req.headers.get("range");
      const reply = (status: number, res: Response) => (log.push({ path: url.pathname, range, status }), res);
      if (url.pathname.startsWith("/redirect/")) {
        const to = url.pathname.slice("/redirect".length);
        return reply(302, new Response(null, { status: 302, headers: { location: to } }));
      }
      const data = files[url.pathname];
      if (!data) return reply(404, new Response("not found", { status: 404 }));
      const b = (behaviour[url.pathname] ??= {});
      if (b.failTimes) {
        b.failTimes--;
        return reply(503, new Response("busy", { status: 503 }));
      }
      const headers: Record<string, string> = { "accept-ranges": "bytes" };
      if (b.disposition) headers["content-disposition"] = `attachment; filename="${b.disposition}"`;
      let from = 0;
      let status = 200;
      const m = range && !b.ignoreRange ? /^bytes=(\d+)-$/.exec(range) : null;
      if (m) {
        from = Number(m[1]);
        if (from >= data.length) {
          return reply(416, new Response(null, { status: 416, headers: { "content-range": `bytes */${data.length}` } }));
        }
        status = 206;
        headers["content-range"] = `bytes ${from}-${data.length - 1}/${data.length}`;
      }
      const streamed = b.chunked || b.dropAt !== undefined || b.throttle !== undefined;
      const payload = streamed ? body(data, from, b) : data.slice(from);
      return reply(status, new Response(payload, { status, headers }));
    },
  });

  return {
    url: `http://127.0.0.1:${server.port}`,
    log,
    behaviour,
    /** set how a path misbehaves */
    set(path: string, b: Behaviour) {
      behaviour[path] = b;
    },
    stop() {
      server.stop(true);
    },
  };
}
