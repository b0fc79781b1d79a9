// `sona serve` in a child process, as an owner runs it: read the one ready line from stdout,
// keep collecting stdout (which must stay empty after it) and stderr. The executable is the one the
// client tests use: $SONA_BINARY, else the compiled dist/sona, else `bun src/main.ts`.
import { readFileSync } from "node:fs";
import { SONA, SONA_KIND } from "./sona-binary.ts";

export { SONA, SONA_KIND };

export interface SonaProcess {
  proc: Bun.Subprocess<"ignore", "pipe", "pipe">;
  ready: { commit: string; port: number; status: string; version: string };
  readyText: string;
  base: string;
  /** all of stdout after the ready line, once the process has exited */
  rest(): Promise<string>;
  stderr(): Promise<string>;
}

/** Spawns `sona serve ...args`; rejects with stderr if no ready line comes. */
export async function spawnSona(args: string[], env: Record<string, string> = {}): Promise<SonaProcess> {
  const proc = Bun.spawn([SONA, "serve", ...args], {
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
    env: { ...process.env, ...env },
  });
  const stderr = new Response(proc.stderr).text();
  const reader = proc.stdout.getReader();
  let text = "";
  while (!text.includes("\n")) {
    const { done, value } = await reader.read();
    if (done) throw new Error(`sona exited before its ready line (code ${await proc.exited}): ${await stderr}`);
    text += new TextDecoder().decode(value);
  }
  const newline = text.indexOf("\n");
  const readyText = text.slice(0, newline + 1);
  let after = text.slice(newline + 1);
  const rest = (async () => {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return after;
      after += new TextDecoder().decode(value);
    }
  })();
  const ready = JSON.parse(readyText);
  return { proc, ready, readyText, base: `http://127.0.0.1:${ready.port}`, rest: () => rest, stderr: () => stderr };
}

/** True once `pid` is gone (or a zombie nobody reaped yet). */
export function processGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return true;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).startsWith("Z");
  } catch {
    return true;
  }
}
