// The single gate around the model: one transcription, load or unload at a time. Transcriptions
// only try it (429 when taken: no queue, as the original); model changes wait their turn, so a
// load never swaps the model under a running transcription. A lease is released exactly once
// whatever path the request takes: release() is idempotent and `using` calls it too.

export interface Lease extends Disposable {
  release(): void;
}

type Listener = () => void;

export class BusyGate {
  private holder: symbol | null = null;
  private readonly waiters: Array<(lease: Lease) => void> = [];
  private readonly idleListeners = new Set<Listener>();
  private readonly busyListeners = new Set<Listener>();
  private freeWaiters: Listener[] = [];

  get busy(): boolean {
    return this.holder !== null;
  }

  /** A lease now, or undefined when the gate is taken. */
  tryAcquire(): Lease | undefined {
    if (this.holder) return undefined;
    return this.grant();
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
    for (const l of this.busyListeners) l();
    const release = () => {
      if (this.holder !== token) return;
      this.holder = null;
      const next = this.waiters.shift();
      if (next) return next(this.grant());
      for (const l of this.idleListeners) l();
      const free = this.freeWaiters;
      this.freeWaiters = [];
      for (const f of free) f();
    };
    return { release, [Symbol.dispose]: release };
  }
}
