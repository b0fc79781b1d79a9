// The two HTTP servers under test, started the same way and asked the same question.
import type { BenchContext } from "./context.ts";
import { memoryOf, startUntil, type Started, stopProcess } from "./proc.ts";

export interface RunningServer {
  name: string;
  started: Started;
  pid: number;
  url: string;
  fields: Record<string, string>;
  /** ms from spawn until it answered */
  readyMs: number;
  stop(): Promise<void>;
  memory(): { rss: number; hwm: number };
}

export interface Reply {
  ms: number;
  status: number;
  text: string;
  /** Sona's Server-Timing header: inference and decode durations, ms */
  inferenceMs?: number;
  decodeMs?: number;
}

export function freePort(): number {
  const s = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response("") });
  const port = s.port!;
  s.stop(true);
  return port;
}

export async function startSonaServer(ctx: BenchContext, model: string, args: string[] = []): Promise<RunningServer> {
  const started = await startUntil([...ctx.sona.cmd, "serve", model, "--port", "0", ...args], /"status":"ready"/, { on: "stdout", timeoutMs: 120_000 });
  const { port } = JSON.parse(started.line) as { port: number };
  return wrap("sona serve", started, `http://127.0.0.1:${port}/v1/audio/transcriptions`, sonaFields(ctx.threads));
}

/** Sona's form fields for the bench's parameters: greedy, best-of 1, no temperature fallback */
export function sonaFields(threads: number): Record<string, string> {
  return { response_format: "json", no_fallback: "true", n_threads: String(threads), beam_size: "1", best_of: "1" };
}

export async function startWhisperServer(ctx: BenchContext, model: string): Promise<RunningServer> {
  const port = freePort();
  // it prints its "listening" line with printf, which a pipe buffers: poll /health instead
  const t0 = performance.now();
  const proc = Bun.spawn([ctx.whisperServer, "-m", model, "--host", "127.0.0.1", "--port", String(port), "-t", String(ctx.threads), "-nlp", "-nf"], {
    stdin: "ignore",
    stdout: "ignore",
    stderr: "ignore",
  });
  const deadline = t0 + 120_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`whisper-server exited ${proc.exitCode} before it was ready`);
    try {
      const r = await fetch(`http://127.0.0.1:${port}/health`);
      await r.arrayBuffer();
      if (r.ok) break;
    } catch {
      // not listening yet
    }
    if (performance.now() > deadline) {
      proc.kill("SIGKILL");
      throw new Error("whisper-server was not ready after 120 s");
    }
    await Bun.sleep(5);
  }
  const started: Started = {
    proc: proc as unknown as Started["proc"],
    readyMs: performance.now() - t0,
    line: "",
    stop: () => stopProcess(proc),
  };
  // greedy, best-of 1, no fallback (its -nf flag is parsed but never used: temperature_inc=0 does it),
  // and no token timestamps, which it otherwise computes for every request (Sona's default is off)
  return wrap("whisper-server", started, `http://127.0.0.1:${port}/inference`, {
    response_format: "json",
    temperature_inc: "0",
    beam_size: "1",
    best_of: "1",
    token_timestamps: "false",
  });
}

function wrap(name: string, started: Started, url: string, fields: Record<string, string>): RunningServer {
  const pid = started.proc.pid;
  return { name, started, pid, url, fields, readyMs: started.readyMs, stop: () => started.stop(), memory: () => memoryOf(pid) };
}

/** One POST of the clip with the server's fields; only where to send it and what to say are needed. */
export async function ask(server: Pick<RunningServer, "name" | "url" | "fields">, file: Blob): Promise<Reply> {
  const form = new FormData();
  form.append("file", file, "clip.wav");
  for (const [k, v] of Object.entries(server.fields)) form.append(k, v);
  const t0 = performance.now();
  const res = await fetch(server.url, { method: "POST", body: form });
  const text = await res.text();
  const ms = performance.now() - t0;
  if (res.status !== 200) throw new Error(`${server.name}: HTTP ${res.status}: ${text.slice(0, 300)}`);
  const timing = res.headers.get("server-timing") ?? "";
  const dur = (name: string) => {
    const m = new RegExp(`(?:^|,)\\s*${name};dur=([\\d.]+)`).exec(timing);
    return m ? Number(m[1]) : undefined;
  };
  return { ms, status: res.status, text, inferenceMs: dur("inference"), decodeMs: dur("decode") };
}

/** The transcript text with whitespace collapsed, to check both servers said the same thing. */
export function textOf(reply: Reply): string {
  try {
    return String((JSON.parse(reply.text) as { text?: string }).text ?? "").replace(/\s+/g, " ").trim();
  } catch {
    return reply.text.replace(/\s+/g, " ").trim();
  }
}
