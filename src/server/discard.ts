// Bun closes the connection as soon as a response is complete, even while the client is still
// uploading. The client's next write then fails (EPIPE/ECONNRESET), and Node's, Bun's and Python's
// HTTP clients report that failure instead of the answer that had already arrived: with uploads of
// 128 KB to 20 MB streamed by Node's and Bun's node:http clients, 4 to 46 % of early answers were
// lost that way. So an error that answers before the body is read first reads the rest and drops
// it (what nginx's lingering close does after answering), bounded in time so that a slow or endless
// upload cannot hold it. Nothing of it is kept in memory or written to disk.

const MAX_MS = 10_000;
const IDLE_MS = 1_000;

/** Reads what is left of a body and drops it; gives up after MAX_MS, or IDLE_MS without data. */
export async function discardRest(reader: ReadableStreamDefaultReader<Uint8Array>): Promise<void> {
  const deadline = performance.now() + MAX_MS;
  let timer: Timer | undefined;
  try {
    for (;;) {
      const wait = Math.min(IDLE_MS, deadline - performance.now());
      if (wait <= 0) break;
      const timeout = new Promise<"timeout">((resolve) => (timer = setTimeout(resolve, wait, "timeout")));
      const next = await Promise.race([reader.read(), timeout]);
      clearTimeout(timer);
      if (next === "timeout" || next.done) break;
    }
  } catch {
    // the client went away: nothing left to protect
  } finally {
    clearTimeout(timer);
    await reader.cancel().catch(() => {});
  }
}

/**
 * A client that sent `Expect: 100-continue` (curl does for bodies over 1 MB) is built to take a
 * final answer while it waits or sends, and stops sending when one comes. Bun answers
 * `100 Continue` by itself as soon as the headers arrive, before any handler runs, so the answer
 * cannot replace it; draining would then pull the whole upload (200 MB for a 429). Answering at
 * once instead makes curl stop ("HTTP error before end of send, stop sending").
 */
export function expectsContinue(request: Request): boolean {
  return /^\s*100-continue\s*$/i.test(request.headers.get("expect") ?? "");
}

/** For a request whose body no handler has touched (rejected before reading it). */
export async function discardUnreadBody(request: Request): Promise<void> {
  if (expectsContinue(request)) return;
  if (request.body && !request.bodyUsed && !request.body.locked) await discardRest(request.body.getReader());
}
