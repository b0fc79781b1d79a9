// spawnSona: runs `sona serve`, waits for its one ready line, and keeps both pipes drained for the
// child's whole life (the original's Python helper stopped reading after the ready line, so a
// chatty server blocked on a full pipe). stderr's last lines are kept for error messages.
import { type ChildProcess, spawn } from "node:child_process";
import { setting } from "../config.ts";
import { SonaClient } from "./client.ts";
import { describeExit, lineReader, setHeld } from "./child.ts";
import { SonaClientError } from "./errors.ts";
import type { RetryBusy } from "./retry.ts";

export interface SpawnOptions {
  /** the executable: default $SONA_BINARY, else `sona` on PATH */
  binary?: string;
  /** default 0: the system picks a free port, read back from the ready line */
  port?: number;
  /** a model file or name, loaded before the ready line (a bad one makes sona exit) */
  model?: string;
  /** `--parallel N`: transcriptions at once (sona's default 1) */
  parallel?: number;
  /** `--queue N`: transcriptions that wait for a slot instead of 429 (sona's default 0) */
  queue?: number;
  /** the client's busy-retry option (SonaClientOptions.retryBusy); off by default */
  retryBusy?: RetryBusy;
  /** more `sona serve` arguments, e.g. ["--max-upload", "2GiB", "-v"] */
  args?: string[];
  /** default 30000 */
  readyTimeoutMs?: number;
  /** the child's environment (default: this process's) */
  env?: Record<string, string | undefined>;
}

/** The ready line: {"commit":…,"port":N,"status":"ready","version":…}. */
export interface ReadyLine {
  commit: string;
  port: number;
  status: "ready";
  version: string;
}

export interface ProcessExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

const TAIL = 50;
/** sona's shutdown grace for a running transcription (30 s), and a margin */
export const STOP_TIMEOUT_MS = 35_000;
/** after the second SIGTERM sona aborts what runs and exits; SIGKILL if it has not by then */
const HURRY_MS = 5_000;

// Children still running when this process exits get SIGTERM (sona's --exit-with-parent is the
// backstop for a SIGKILLed owner). One listener for all of them.
const living = new Set<ChildProcess>();
const killLiving = () => {
  for (const child of living) child.kill("SIGTERM");
};
const MAX_LINE = 64 * 1024;

export class SonaProcess implements AsyncDisposable {
  readonly client: SonaClient;
  readonly port: number;
  readonly baseUrl: string;
  private stopping: Promise<ProcessExit> | undefined;

  /** @internal use spawnSona */
  constructor(
    private readonly child: ChildProcess,
    readonly info: ReadyLine,
    private readonly tail: string[],
    private readonly exited: Promise<void>,
    private readonly cleanup: () => void,
    retryBusy?: RetryBusy,
  ) {
    this.port = info.port;
    this.baseUrl = `http://127.0.0.1:${info.port}`;
    this.client = new SonaClient(this.baseUrl, { checkProcess: (waitMs) => this.check(waitMs), retryBusy });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** The child's last stderr lines (at most 50). */
  stderrTail(): string[] {
    return [...this.tail];
  }

  /** Throws process_exited (with stderr) if the child is gone; `waitMs` gives a dying one time. */
  async check(waitMs = 0): Promise<void> {
    if (this.alive && waitMs > 0) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([this.exited, new Promise((ok) => (timer = setTimeout(ok, waitMs)))]);
      clearTimeout(timer);
    }
    if (this.alive) return;
    setHeld(this.child, true);
    await this.exited;
    const how = describeExit(this.child.exitCode, this.child.signalCode);
    if (this.stopping) throw new SonaClientError(null, "process_exited", `sona was stopped (it ${how})`);
    throw new SonaClientError(null, "process_exited", `sona (pid ${this.pid}) ${how}`, { stderr: this.stderrTail() });
  }

  /**
   * SIGTERM, then up to `timeoutMs` for a clean exit: sona lets a running transcription finish
   * for up to 30 s, so the default waits a little longer than that. Still running, it gets a
   * second SIGTERM (sona then aborts the job and exits within seconds), and SIGKILL only after
   * HURRY_MS more. Idempotent: every call resolves to the same exit ({code: 0} after a clean shutdown).
   */
  stop(timeoutMs = STOP_TIMEOUT_MS): Promise<ProcessExit> {
    this.stopping ??= (async () => {
      this.cleanup();
      setHeld(this.child, true); // waiting for the child must keep this process running
      if (this.alive) {
        this.child.kill("SIGTERM");
        if (!(await this.exitsWithin(timeoutMs)) && this.alive) {
          this.child.kill("SIGTERM");
          if (!(await this.exitsWithin(HURRY_MS))) this.child.kill("SIGKILL");
        }
      }
      await this.exited;
      return { code: this.child.exitCode, signal: this.child.signalCode };
    })();
    return this.stopping;
  }

  private async exitsWithin(ms: number): Promise<boolean> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<false>((ok) => (timer = setTimeout(ok, ms, false)));
    const exited = await Promise.race([this.exited.then(() => true), late]);
    clearTimeout(timer);
    return exited;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }
}

/** Spawns `sona serve --port <port> [--parallel N] [--queue N] [model] [args…]` and resolves once its ready line is read. */
export function spawnSona(options: SpawnOptions = {}): Promise<SonaProcess> {
  const binary = options.binary ?? setting("SONA_BINARY") ?? "sona";
  // --parent-pid: sona exits with this process even when it is not sona's parent (a wrapper
  // script in between, or a shell that has exited); the owner's own args may name another pid
  const args = options.args ?? [];
  const owner = args.some((a) => a === "--parent-pid" || a.startsWith("--parent-pid=")) ? [] : ["--parent-pid", String(process.pid)];
  const slots = [
    ...(options.parallel !== undefined ? ["--parallel", String(options.parallel)] : []),
    ...(options.queue !== undefined ? ["--queue", String(options.queue)] : []),
  ];
  const argv = ["serve", "--port", String(options.port ?? 0), ...owner, ...slots, ...(options.model ? [options.model] : []), ...args];
  const child = spawn(binary, argv, { stdio: ["ignore", "pipe", "pipe"], env: options.env ?? process.env });
  const tail: string[] = [];
  const exited = new Promise<void>((ok) => child.once("close", () => ok()));
  lineReader(child.stderr, (line) => {
    tail.push(line);
    if (tail.length > TAIL) tail.shift();
  });
  living.add(child);
  if (living.size === 1) process.on("exit", killLiving);
  const cleanup = () => {
    living.delete(child);
    if (living.size === 0) process.off("exit", killLiving);
  };

  return new Promise<SonaProcess>((resolve, reject) => {
    let first = true;
    let failed = false;
    const fail = async (err: SonaClientError | Promise<SonaClientError>) => {
      if (failed) return;
      failed = true;
      first = false;
      clearTimeout(timer);
      cleanup();
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      reject(await err);
    };
    const timeoutMs = options.readyTimeoutMs ?? 30_000;
    const timer = setTimeout(() => {
      void fail(new SonaClientError(null, "ready_timeout", `sona printed no ready line within ${timeoutMs} ms (pid ${child.pid}, killed)`, { stderr: [...tail] }));
    }, timeoutMs);
    child.once("error", (err: NodeJS.ErrnoException) => {
      const code = err.code === "ENOENT" ? "binary_not_found" : "spawn_failed";
      void fail(new SonaClientError(null, code, `could not start ${binary}: ${err.message} (pass { binary } or set SONA_BINARY)`, { cause: err }));
    });
    child.once("exit", () => {
      if (!first) return;
      // the close event comes once stderr is read to the end: the message gets all of it
      void fail(exited.then(() => new SonaClientError(null, "process_exited",
        `sona ${describeExit(child.exitCode, child.signalCode)} before its ready line (${[binary, ...argv].join(" ")})`, { stderr: [...tail] })));
    });
    lineReader(child.stdout, (line) => {
      if (!first) return; // anything after the ready line is read and dropped: the pipe never fills
      first = false;
      clearTimeout(timer);
      let info: Partial<ReadyLine> | undefined;
      try {
        info = JSON.parse(line) as Partial<ReadyLine>;
      } catch {
        // reported below
      }
      if (!info || info.status !== "ready" || typeof info.port !== "number") {
        void fail(new SonaClientError(null, "bad_ready_line", `unexpected first line from sona: ${JSON.stringify(line.slice(0, 500))}`, { stderr: [...tail] }));
        return;
      }
      // like Python's atexit: an owner that forgets stop() still exits, and takes the child along
      setHeld(child, false);
      resolve(new SonaProcess(child, info as ReadyLine, tail, exited, cleanup, options.retryBusy));
    });
  });
}
