// Child processes for the benchmarks: timed runs, servers that announce themselves on a line of
// output, and what /proc says about a process's memory.
import { readFileSync } from "node:fs";

export interface Timed {
  /** wall time from spawn to exit, ms */
  ms: number;
  exitCode: number;
  stdout: string;
  stderr: string;
  /**
   * peak resident set size of the child, bytes: its VmHWM, polled every 20 ms while it runs. Not
   * wait4's ru_maxrss: Bun spawns with vfork semantics, and the kernel charges the parent's own
   * high-water RSS to the child at exec, so a child of a big bench process would look as big.
   */
  maxRss: number;
  /** user + system CPU time of the child, ms */
  cpuMs: number;
}

export interface RunOptions {
  env?: Record<string, string | undefined>;
  cwd?: string;
  /** keep stdout (default: discarded) */
  stdout?: boolean;
  /** keep stderr (default: kept, for error messages and whisper_print_timings) */
  stderr?: boolean;
}

export async function timed(cmd: string[], opts: RunOptions = {}): Promise<Timed> {
  const t0 = performance.now();
  const proc = Bun.spawn(cmd, {
    cwd: opts.cwd,
    env: opts.env ? { ...process.env, ...opts.env } : undefined,
    stdin: "ignore",
    stdout: opts.stdout ? "pipe" : "ignore",
    stderr: opts.stderr === false ? "ignore" : "pipe",
  });
  let hwm = NaN;
  const poll = () => {
    try {
      hwm = memoryOf(proc.pid).hwm;
    } catch {
      // exited between two polls: keep the last reading
    }
  };
  poll();
  const timer = setInterval(poll, 20);
  const [stdout, stderr, exitCode] = await Promise.all([
    opts.stdout ? new Response(proc.stdout as ReadableStream).text() : "",
    opts.stderr === false ? "" : new Response(proc.stderr as ReadableStream).text(),
    proc.exited,
  ]);
  const ms = performance.now() - t0;
  clearInterval(timer);
  const ru = proc.resourceUsage();
  return { ms, exitCode, stdout, stderr, maxRss: hwm, cpuMs: ru ? Number(ru.cpuTime.total) / 1000 : NaN };
}

/** Like timed(), but throws with the tail of stderr when the command fails. */
export async function timedOk(cmd: string[], opts: RunOptions = {}): Promise<Timed> {
  const r = await timed(cmd, opts);
  if (r.exitCode !== 0) throw new Error(`${cmd.join(" ")} exited ${r.exitCode}: ${r.stderr.trim().split("\n").slice(-5).join("\n")}`);
  return r;
}

export function runOk(cmd: string[], opts: { cwd?: string; env?: Record<string, string | undefined>; quiet?: boolean } = {}): string {
  const r = Bun.spawnSync(cmd, {
    cwd: opts.cwd,
    env: opts.env ? { ...process.env, ...opts.env } : undefined,
    stdout: "pipe",
    stderr: opts.quiet === false ? "inherit" : "pipe",
  });
  if (r.exitCode !== 0) throw new Error(`${cmd.join(" ")} exited ${r.exitCode}: ${r.stderr?.toString().trim().split("\n").slice(-8).join("\n")}`);
  return r.stdout.toString();
}

export interface Started {
  proc: Bun.Subprocess<"ignore", "pipe", "pipe">;
  /** ms from spawn to the line that said it was ready */
  readyMs: number;
  line: string;
  stop(): Promise<void>;
}

/**
 * Spawns a long-running process and waits until a line on stdout or stderr matches `ready`.
 * Output after that is drained (and dropped) so the child never blocks on a full pipe.
 */
export async function startUntil(cmd: string[], ready: RegExp, opts: { env?: Record<string, string>; timeoutMs?: number; on?: "stdout" | "stderr" | "both" } = {}): Promise<Started> {
  const t0 = performance.now();
  const proc = Bun.spawn(cmd, { stdin: "ignore", stdout: "pipe", stderr: "pipe", env: opts.env ? { ...process.env, ...opts.env } : undefined });
  const on = opts.on ?? "both";
  let log = "";
  const found = new Promise<{ line: string; at: number }>((resolve, reject) => {
    let settled = false;
    const watch = async (stream: ReadableStream<Uint8Array>, use: boolean) => {
      const decoder = new TextDecoder();
      let buf = "";
      for await (const chunk of stream) {
        if (settled || !use) continue; // keep draining
        buf += decoder.decode(chunk, { stream: true });
        let nl: number;
        while ((nl = buf.indexOf("\n")) >= 0) {
          const line = buf.slice(0, nl);
          buf = buf.slice(nl + 1);
          if (log.length < 8192) log += `${line}\n`;
          if (!settled && ready.test(line)) {
            settled = true;
            resolve({ line, at: performance.now() });
          }
        }
      }
    };
    void watch(proc.stdout, on !== "stderr");
    void watch(proc.stderr, on !== "stdout");
    void proc.exited.then((code) => {
      if (!settled) {
        settled = true;
        reject(new Error(`${cmd.join(" ")} exited ${code} before it was ready:\n${log.slice(-2000)}`));
      }
    });
    setTimeout(() => {
      if (!settled) {
        settled = true;
        proc.kill("SIGKILL");
        reject(new Error(`${cmd.join(" ")} not ready after ${opts.timeoutMs ?? 60000} ms:\n${log.slice(-2000)}`));
      }
    }, opts.timeoutMs ?? 60000).unref();
  });
  const { line, at } = await found;
  return { proc, readyMs: at - t0, line, stop: () => stopProcess(proc) };
}

/** SIGTERM, then SIGKILL if the process is still there 5 s later; resolves once it has exited. */
export async function stopProcess(proc: Bun.Subprocess): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  proc.kill("SIGTERM");
  const timer = setTimeout(() => proc.kill("SIGKILL"), 5000);
  await proc.exited;
  clearTimeout(timer);
}

/** VmRSS / VmHWM of a live process, bytes. */
export function memoryOf(pid: number): { rss: number; hwm: number } {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? NaN) * 1024;
  const m = { rss: kb("VmRSS"), hwm: kb("VmHWM") };
  if (!Number.isFinite(m.hwm)) throw new Error(`no memory figures for pid ${pid} (exited?)`);
  return m;
}

export function loadavg(): string {
  try {
    return readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
  } catch {
    return "n/a";
  }
}

export const MiB = 1024 * 1024;
