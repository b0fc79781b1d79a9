// One engine worker and the requests to it, one at a time, in order. Each request has an id that
// its events and its reply carry; a worker that dies (an uncaught error, a test hook) fails the
// request it was running with a clear internal_error, and anything it says afterwards matches no
// request, so a late result can never reach the next caller. The next request starts a new worker
// (and `onStart` brings it back to where the old one was: the library open, a state attached).
import { SonaError } from "../errors.ts";
import type { FromWorker, Reply, WorkerRequest } from "./protocol.ts";
import type { EngineEvent } from "./types.ts";

interface Pending {
  resolve: (reply: Reply) => void;
  onEvent?: (event: EngineEvent) => void;
}

let nextId = 1;

export class WorkerLane {
  private worker?: Worker;
  private started?: Promise<void>;
  private readonly pending = new Map<number, Pending>();
  private queue: Promise<unknown> = Promise.resolve();
  /** polled by the native abort check between graph nodes; reset per job, replaced with the worker */
  abortFlag = newFlag();
  /** a job is running or waiting here */
  active = 0;
  /** how many workers this lane has had to replace */
  restarts = 0;

  /** `onStart` runs on every new worker before its first request (init, attach) */
  constructor(private readonly onStart: (lane: WorkerLane) => Promise<void>) {}

  /** Runs `fn` after every job queued before it, with a started worker; jobs never overlap. */
  enqueue<T>(fn: () => Promise<T>): Promise<T> {
    this.active++;
    const job = async () => {
      await this.start();
      return fn();
    };
    const run = this.queue.then(job, job).finally(() => this.active--);
    this.queue = run.catch(() => {});
    return run;
  }

  /** Sends a request to the worker and resolves with its reply (a dead worker's: `failed`). */
  post(message: WorkerRequest, transfer: Transferable[] = [], onEvent?: (e: EngineEvent) => void): Promise<Reply> {
    const worker = this.worker;
    if (!worker) return Promise.resolve({ type: "failed", code: "internal_error", message: "the engine worker is not running" });
    const id = nextId++;
    return new Promise((resolve) => {
      this.pending.set(id, { resolve, onEvent });
      worker.postMessage({ ...message, id }, transfer);
    });
  }

  /** test hook: the worker dies as it would on a bug (an uncaught error on its thread) */
  crash(): void {
    this.worker?.postMessage({ type: "crash", id: nextId++ });
  }

  /** test hook: the worker is ended now, whatever it runs */
  kill(): void {
    if (this.worker) this.died(this.worker, "killed");
  }

  async close(): Promise<void> {
    await this.queue.catch(() => {});
    this.stop("the engine was closed");
  }

  private start(): Promise<void> {
    this.started ??= (async () => {
      // in the compiled binary import.meta.url is the executable's /$bunfs root, and the worker,
      // its second entry point, sits at engine/worker.ts under it (scripts/build.ts)
      const url = new URL(Bun.isStandaloneExecutable ? "./engine/worker.ts" : "./worker.ts", import.meta.url);
      const worker = new Worker(url);
      this.worker = worker;
      worker.onmessage = (e: MessageEvent<FromWorker>) => this.receive(e.data);
      worker.onerror = (e) => {
        e.preventDefault?.();
        this.died(worker, e.message);
      };
      worker.addEventListener("close", () => this.died(worker, "it exited"));
      try {
        await this.onStart(this);
      } catch (err) {
        // not cached: the next request tries a fresh worker
        this.stop(err instanceof Error ? err.message : String(err));
        throw err;
      }
    })();
    return this.started;
  }

  private receive(m: FromWorker): void {
    const pending = this.pending.get(m.id);
    if (!pending) return; // a request failed by a restart, or a crashed worker's last words
    if (m.type === "event") return pending.onEvent?.(m.event);
    this.pending.delete(m.id);
    const { id: _, ...reply } = m;
    pending.resolve(reply as Reply);
  }

  private died(worker: Worker, why: string): void {
    if (this.worker !== worker) return;
    this.restarts++;
    this.stop(`the engine worker died (${why}); it is restarted for the next request`);
  }

  /**
   * Ends the worker; whatever it was doing fails with `message`. A thread inside whisper_full
   * finishes that call before it can end: its abort flag stays set (and is never reused) so it
   * stops at the next graph node.
   */
  private stop(message: string): void {
    const worker = this.worker;
    this.worker = undefined;
    this.started = undefined;
    if (worker) {
      Atomics.store(this.abortFlag, 0, 1);
      this.abortFlag = newFlag();
      worker.terminate();
    }
    const failed = [...this.pending.values()];
    this.pending.clear();
    for (const p of failed) p.resolve({ type: "failed", code: "internal_error", message });
  }
}

const newFlag = () => new Int32Array(new SharedArrayBuffer(4));

/** A reply that is not the one expected, as an error. */
export function replyError(m: Reply, param?: string): SonaError {
  if (m.type !== "failed") return new SonaError("internal_error", `unexpected engine reply ${m.type}`);
  return new SonaError(m.code, m.message, m.code === "invalid_model" && param ? { param } : {});
}
