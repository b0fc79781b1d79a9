// The single gate around the model: one transcription, load or unload at a time. Transcriptions
// only try it (429 when taken: no queue, as the original); model changes wait their turn, so a
// load never swaps the model under a running transcription. A lease is released exactly once
// whatever path the request takes: release() is idempotent and `using` calls it too.
// One exception to "no queue": a holder whose client has gone (its abort takes 0.1-0.2 s to land in
// whisper.cpp) is marked as leaving, and a transcription that arrives meanwhile waits for it, for a
// bounded time, instead of getting 429 right after the same client cancelled and asked again.

export interface Lease extends Disposable {
  release(): void;
  /** the holder is on its way out (its request was aborted): newcomers may wait for it */
  leaving(): void;
}

/** how long a transcription waits for a leaving holder before it is told 429 */
export const LEAVING_WAIT_MS = 2000;

type Listener = () => void;

export class BusyGate {
  private holder: symbol | null = null;
  private holderLeaving = false;
  private readonly waiters: Array<(lease: Lease) => void> = [];
  private readonly idleListeners = new Set<Listener>();
  private readonly busyListeners = new Set<Listener>();
  private freeWaiters: Listener[] = [];

  get busy(): boolean {
    return this.holder !== null;
  }

  /** how many wait for the gate (loads, unloads, transcriptions waiting for a leaving holder) */
  get queued(): number {
    return this.waiters.length;
  }

  /** A lease now, or undefined when the gate is taken. */
  tryAcquire(): Lease | undefined {
    if (this.holder) return undefined;
    return this.grant();
  }

  /**
   * A lease now; or, when the holder is leaving, once it has left (within `maxWaitMs`, and
   * unless `signal` aborts first); undefined when the gate stays taken.
   */
  async tryAcquireSoon(maxWaitMs = LEAVING_WAIT_MS, signal?: AbortSignal): Promise<Lease | undefined> {
    const now = this.tryAcquire();
    if (now || !this.holderLeaving) return now;
    const timeout = AbortSignal.timeout(maxWaitMs);
    return this.acquire(signal ? AbortSignal.any([signal, timeout]) : timeout).catch(() => undefined);
  }

  /** A lease when the gate is free (first come, first served); rejects with signal.reason on abort. */
  acquire(signal?: AbortSignal): Promise<Lease> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (!this.holder) return Promise.resolve(this.grant());
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        const i = this.waiters.indexOf(take);
        if (i >= 0) this.waiters.splice(i, 1);
        reject(signal!.reason);
      };
      const take = (lease: Lease) => {
        signal?.removeEventListener("abort", onAbort);
        resolve(lease);
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.waiters.push(take);
    });
  }

  /** Resolves once nobody holds the gate and nobody waits for it. */
  whenFree(): Promise<void> {
    if (!this.holder && this.waiters.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.freeWaiters.push(resolve));
  }

  /** Called whenever the gate becomes free with nobody waiting (the idle unload timer starts here). */
  onIdle(listener: Listener): () => void {
    this.idleListeners.add(listener);
    return () => this.idleListeners.delete(listener);
  }

  /** Called whenever a lease is granted. */
  onBusy(listener: Listener): () => void {
    this.busyListeners.add(listener);
    return () => this.busyListeners.delete(listener);
  }

  private grant(): Lease {
    const token = Symbol("lease");
    this.holder = token;
    this.holderLeaving = false;
    for (const l of this.busyListeners) l();
    const release = () => {
      if (this.holder !== token) return;
      this.holder = null;
      this.holderLeaving = false;
      const next = this.waiters.shift();
      if (next) return next(this.grant());
      for (const l of this.idleListeners) l();
      const free = this.freeWaiters;
      this.freeWaiters = [];
      for (const f of free) f();
    };
    const leaving = () => {
      if (this.holder === token) this.holderLeaving = true;
    };
    return { release, leaving, [Symbol.dispose]: release };
  }
}
