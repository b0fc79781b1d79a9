// The runner's life as its owner sees it: bind, print one ready line, serve; unload the model
// when idle; on SIGINT/SIGTERM or the owner's death (our parent, or the --parent-pid process), stop accepting, let a running transcription
// finish (up to 30 s), unload and return, so that the CLI exits 0. Nothing here exits the process.
import type { Server } from "bun";
import type { ServerContext } from "./context.ts";
import { watchOwnerPid } from "./owner.ts";

export const SHUTDOWN_GRACE_MS = 30_000;
export const PARENT_POLL_MS = 500;

export interface Listener {
  /** anything with Elysia's listen(); kept structural so tests can pass any app */
  listen(options: Partial<Bun.Serve.Options<unknown>>): { server: Server<unknown> | null };
}

/** Binds; throws (no ready line) when the address is taken or invalid. `tls`: https and wss. */
export function listen(app: Listener, host: string, port: number, tls?: { cert: string; key: string }): Server<unknown> {
  const { server } = app.listen({
    hostname: host,
    port,
    ...(tls ? { tls } : {}),
    // Bun refuses a body over this limit before any handler runs, with an empty 413 (default
    // 128 MiB). Sona enforces its own limits while reading (uploads: --max-upload, JSON: 64 KiB;
    // other routes never read a body) and answers with the error body, so Bun's check stays out.
    maxRequestBodySize: Number.MAX_SAFE_INTEGER,
  });
  if (!server?.port) throw new Error(`could not listen on ${host}:${port}`);
  return server;
}

/** The one line on stdout: keys in alphabetical order, as the original's Go encoder wrote them. */
export function readyLine(info: { commit: string; port: number; version: string }): string {
  return `${JSON.stringify({ commit: info.commit, port: info.port, status: "ready", version: info.version })}\n`;
}

export type ShutdownReason = "SIGINT" | "SIGTERM" | "parent-exited";

export interface ShutdownWatch {
  /** resolves with the first reason to stop */
  reason: Promise<ShutdownReason>;
  /** a reason has come */
  readonly fired: boolean;
  /** resolves on a second signal: stop waiting for the running transcription */
  hurry: Promise<void>;
  stop(): void;
}

export interface WatchOptions {
  /** stop when the owner exits (false: only signals stop us) */
  exitWithParent: boolean;
  /** the owner's pid (--parent-pid); otherwise the owner is our parent, and its death is seen
   * as a change of our parent pid (which an orphan from the start never sees) */
  parentPid?: number;
  pollMs?: number;
}

/** Signals, and (exitWithParent) the owner's death. Throws when `parentPid` is not running. */
export function watchForShutdown(opts: WatchOptions): ShutdownWatch {
  const owner = opts.exitWithParent && opts.parentPid !== undefined ? watchOwnerPid(opts.parentPid) : undefined;
  if (owner === null) throw new Error(`the owner process ${opts.parentPid} (--parent-pid) is not running`);
  let settle!: (r: ShutdownReason) => void;
  let hurryUp!: () => void;
  const reason = new Promise<ShutdownReason>((r) => (settle = r));
  const hurry = new Promise<void>((r) => (hurryUp = r));
  let fired = false;
  const fire = (why: ShutdownReason) => {
    fired = true;
    settle(why);
  };
  const onSignal = (name: "SIGINT" | "SIGTERM") => () => (fired ? hurryUp() : fire(name));
  const onInt = onSignal("SIGINT");
  const onTerm = onSignal("SIGTERM");
  process.on("SIGINT", onInt);
  process.on("SIGTERM", onTerm);
  let timer: Timer | undefined;
  if (opts.exitWithParent) {
    const parent = process.ppid;
    timer = setInterval(() => {
      // an orphan is adopted by init or a subreaper, so the parent pid changes when the owner dies
      if (owner ? !owner.alive() : process.ppid !== parent) {
        fire("parent-exited");
        hurryUp();
      }
    }, opts.pollMs ?? PARENT_POLL_MS);
    timer.unref();
  }
  return {
    reason,
    hurry,
    get fired() {
      return fired;
    },
    stop() {
      process.off("SIGINT", onInt);
      process.off("SIGTERM", onTerm);
      if (timer) clearInterval(timer);
      owner?.close();
    },
  };
}

/**
 * Stops accepting connections, waits for the gate (a running transcription, a load) up to
 * `graceMs` or until `hurry`, then aborts what still runs, lets the responses go out, unloads.
 */
export async function shutdown(ctx: ServerContext, server: Server<unknown>, opts: { graceMs?: number; hurry?: Promise<void> } = {}): Promise<void> {
  void server.stop(false);
  ctx.stopping.abort(new Error("shutting down"));
  const grace = opts.graceMs ?? SHUTDOWN_GRACE_MS;
  if (ctx.gate.busy) ctx.log(`waiting up to ${Math.round(grace / 1000)} s for the running transcription`);
  const finished = await Promise.race([
    ctx.gate.whenFree().then(() => true),
    sleep(grace).then(() => false),
    (opts.hurry ?? new Promise<void>(() => {})).then(() => false),
  ]);
  if (!finished) {
    ctx.shutdown.abort(new Error("shutting down"));
    await Promise.race([ctx.gate.whenFree(), sleep(2000)]);
  }
  // let the last response (or the stream's final event) reach the client before closing sockets
  const deadline = Date.now() + 1000;
  while (server.pendingRequests > 0 && Date.now() < deadline) await sleep(10);
  void server.stop(true);
  await Promise.race([ctx.engine.close(), sleep(2000)]);
}

/**
 * Unloads the model after `ms` with the gate free; any load or transcription restarts the clock.
 * The context remembers the model, and the next transcription reloads it (routes/transcriptions.ts).
 */
export function startIdleUnload(ctx: ServerContext, ms: number): () => void {
  if (!(ms > 0)) return () => {};
  let timer: Timer | undefined;
  const cancel = () => {
    if (timer) clearTimeout(timer);
    timer = undefined;
  };
  const schedule = () => {
    cancel();
    if (!ctx.engine.model) return;
    timer = setTimeout(expire, ms);
    timer.unref();
  };
  const expire = async () => {
    timer = undefined;
    const lease = ctx.gate.tryAcquire();
    if (!lease) return; // someone took the gate since; its release schedules us again
    try {
      const model = ctx.model;
      if (model) {
        ctx.log("model unload timeout expired; unloading model (the next transcription loads it again)");
        await ctx.engine.unload();
        ctx.idleUnloaded = model;
      }
    } catch (err) {
      ctx.log(`idle unload failed: ${err instanceof Error ? err.message : String(err)}`);
    } finally {
      lease.release();
    }
  };
  const offIdle = ctx.gate.onIdle(schedule);
  const offBusy = ctx.gate.onBusy(cancel);
  schedule();
  return () => {
    cancel();
    offIdle();
    offBusy();
  };
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
