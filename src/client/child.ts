// Small helpers for a child process's pipes and exit, shared by spawnSona.
import type { ChildProcess } from "node:child_process";

const MAX_LINE = 64 * 1024;

/** Splits a stream's text into lines; each complete line goes to `onLine`. */
export function lineReader(stream: NodeJS.ReadableStream | null, onLine: (line: string) => void): void {
  let pending = "";
  stream?.setEncoding?.("utf8");
  stream?.on("data", (chunk: string) => {
    pending += chunk;
    let nl: number;
    while ((nl = pending.indexOf("\n")) >= 0) {
      onLine(pending.slice(0, nl).replace(/\r$/, ""));
      pending = pending.slice(nl + 1);
    }
    if (pending.length > MAX_LINE) {
      onLine(pending);
      pending = "";
    }
  });
  stream?.on("end", () => pending && onLine(pending));
}

export function describeExit(code: number | null, signal: NodeJS.Signals | null): string {
  return signal ? `was killed by ${signal}` : `exited with code ${code}`;
}

/** Whether the child (and its pipes) keep this process's event loop alive. */
export function setHeld(child: ChildProcess, held: boolean): void {
  if (held) child.ref();
  else child.unref();
  for (const pipe of [child.stdout, child.stderr]) {
    const p = pipe as { ref?: () => void; unref?: () => void } | null;
    if (held) p?.ref?.();
    else p?.unref?.();
  }
}
