// The gate around the model: `slots` transcriptions at a time (one by default, as the original),
// and loads and unloads alone (a model change waits for every running job and holds all slots, so
// it never swaps the weights under a transcription). Transcriptions only try it (429 when every
// slot is taken) unless the server has an opt-in queue: then up to `queue` of them wait, first come
// first served, for at most `queueTimeoutMs`. A lease is released exactly once whatever path the
// request takes: release() is idempotent and `using` calls it too.
// One more wait: a holder whose client has gone (its abort takes 0.1-0.2 s to land in whisper.cpp)
// is marked as leaving, and a transcription that arrives meanwhile waits for it, for a bounded
// time, instead of getting 429 right after the same client cancelled and asked again.

export interface Lease extends Disposable {
  release(): void;
  /** the holder is on its way out (its request was aborted): newcomers may wait for it */
  leaving(): void;
}

/** A place in the queue: its lease once a slot is free, or undefined when the wait timed out. */
export interface Ticket {
  readonly lease: Promise<Lease | undefined>;
  /** 1 for the next in line */
  position(): number;
  /** called whenever the position changes */
  onMove(listener: (position: number) => void): void;
  /** leaves the queue (the request failed while it waited); a lease granted already is released */
  cancel(): void;
}

export interface GateOptions {
  /** transcriptions at once; default 1 */
  slots?: number;
  /** transcriptions that may wait for a slot; default 0 (busy: 429 at once) */
  queue?: number;
  /** the longest a queued transcription waits; default DEFAULT_QUEUE_TIMEOUT_MS */
  queueTimeoutMs?: number;
}

/** how long a transcription waits for a leaving holder before it is told 429 */
export const LEAVING_WAIT_MS = 2000;
export const DEFAULT_QUEUE_TIMEOUT_MS = 300_000;

type Listener = () => void;

interface Waiter {
  /** a transcription takes one slot; a model change takes them all */
  all: boolean;
  /** a transcription in the opt-in queue (counted against its limit) */
  queued: boolean;
  take: (lease: Lease) => void;
  /** told when its place in line changes */
  moved?: (position: number) => void;
  position?: number;
}

export class BusyGate {
  readonly slots: number;
  readonly queueLimit: number;
  readonly queueTimeoutMs: number;
  private readonly holders = new Map<symbol, { leaving: boolean }>();
  private exclusive = false;
  private readonly waiters: Waiter[] = [];
  private readonly idleListeners = new Set<Listener>();
  private readonly busyListeners = new Set<Listener>();
  private freeWaiters: Listener[] = [];

  constructor(options: GateOptions = {}) {
    this.slots = Math.max(1, Math.floor(options.slots ?? 1));
    this.queueLimit = Math.max(0, Math.floor(options.queue ?? 0));
    this.queueTimeoutMs = options.queueTimeoutMs ?? DEFAULT_QUEUE_TIMEOUT_MS;
  }

  /** every slot is taken (or a model change holds them all) */
  get busy(): boolean {
    return this.exclusive || this.holders.size >= this.slots;
  }

  /** transcriptions running now */
  get running(): number {
    return this.exclusive ? 0 : this.holders.size;
  }

  /** how many wait for the gate (loads, unloads, queued transcriptions, ones waiting for a leaving holder) */
  get queued(): number {
    return this.waiters.length;
  }

  /** A slot now, or undefined when every slot is taken or others wait already. */
  tryAcquire(): Lease | undefined {
    if (this.busy || this.waiters.length > 0) return undefined;
    return this.grant(false);
  }

  /**
   * A slot now; or, when a holder is leaving, once it has left (within `maxWaitMs`, and unless
   * `signal` aborts first); undefined when the gate stays taken.
   */
  async tryAcquireSoon(maxWaitMs = LEAVING_WAIT_MS, signal?: AbortSignal): Promise<Lease | undefined> {
    const now = this.tryAcquire();
    if (now || ![...this.holders.values()].some((h) => h.leaving)) return now;
    return this.wait({ all: false, queued: false }, maxWaitMs, signal).lease;
  }

  /** A place in the opt-in queue, or undefined when it is full (or there is none). */
  enqueue(signal?: AbortSignal): Ticket | undefined {
    if (this.waiters.filter((w) => w.queued).length >= this.queueLimit) return undefined;
    return this.wait({ all: false, queued: true }, this.queueTimeoutMs, signal);
  }

  /** Every slot, once the running jobs are done (first come, first served); rejects with signal.reason on abort. */
  acquire(signal?: AbortSignal): Promise<Lease> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.holders.size === 0 && this.waiters.length === 0) return Promise.resolve(this.grant(true));
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        all: true,
        queued: false,
        take: (lease) => {
          signal?.removeEventListener("abort", onAbort);
          resolve(lease);
        },
      };
      const onAbort = () => {
        this.leave(waiter);
        reject(signal!.reason);
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.waiters.push(waiter);
    });
  }

  /** Resolves once nobody holds the gate and nobody waits for it. */
  whenFree(): Promise<void> {
    if (this.holders.size === 0 && this.waiters.length === 0) return Promise.resolve();
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

  /** A one-slot wait of at most `maxWaitMs`; a waiter whose client goes leaves at once. */
  private wait(kind: { all: false; queued: boolean }, maxWaitMs: number, signal?: AbortSignal): Ticket {
    let moved: ((position: number) => void) | undefined;
    let waiter!: Waiter;
    let give: (l: Lease | undefined) => void = () => {};
    const lease = new Promise<Lease | undefined>((resolve) => {
      if (signal?.aborted) return resolve(undefined);
      const timer = setTimeout(() => give(undefined), maxWaitMs);
      give = (l: Lease | undefined) => {
        clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
        if (!l) this.leave(waiter);
        resolve(l);
      };
      const onAbort = () => give(undefined);
      signal?.addEventListener("abort", onAbort, { once: true });
      waiter = { ...kind, take: give, moved: (p) => moved?.(p) };
      this.waiters.push(waiter);
      this.pump();
    });
    return {
      lease,
      position: () => this.waiters.indexOf(waiter) + 1,
      onMove: (listener) => (moved = listener),
      cancel: () => {
        give(undefined);
        void lease.then((l) => l?.release());
      },
    };
  }

  private leave(waiter: Waiter): void {
    const i = this.waiters.indexOf(waiter);
    if (i < 0) return;
    this.waiters.splice(i, 1);
    this.pump();
  }

  /** Grants what the head of the line can have now; tells the rest where they stand. */
  private pump(): void {
    while (this.waiters.length > 0) {
      const head = this.waiters[0]!;
      const fits = head.all ? this.holders.size === 0 : !this.busy;
      if (!fits) break;
      this.waiters.shift();
      head.take(this.grant(head.all));
    }
    this.waiters.forEach((w, i) => {
      if (w.position === i + 1) return;
      w.position = i + 1;
      w.moved?.(i + 1);
    });
    if (this.holders.size > 0 || this.waiters.length > 0) return;
    for (const l of this.idleListeners) l();
    const free = this.freeWaiters;
    this.freeWaiters = [];
    for (const f of free) f();
  }

  private grant(all: boolean): Lease {
    const token = Symbol("lease");
    const holder = { leaving: false };
    this.holders.set(token, holder);
    this.exclusive = all;
    for (const l of this.busyListeners) l();
    const release = () => {
      if (!this.holders.delete(token)) return;
      if (all) this.exclusive = false;
      this.pump();
    };
    const leaving = () => {
      holder.leaving = true;
    };
    return { release, leaving, [Symbol.dispose]: release };
  }
}
