// A small progress display on stderr, for downloads (bytes, rate, ETA) and for transcription (%).
// On a TTY it redraws one line (a bar, colored unless NO_COLOR is set); otherwise it prints a plain
// line at most every few seconds, so logs and CI output stay readable.
import { setting } from "../config.ts";

export interface ProgressOptions {
  label: string;
  /** the value at completion; unknown (null) shows a counter without bar or ETA */
  total?: number | null;
  /** "bytes" (default): sizes and a rate; "%": the value is a percentage; anything else is a unit name */
  unit?: string;
  /** defaults to process.stderr */
  stream?: { write(s: string): unknown; isTTY?: boolean; columns?: number };
  /** defaults to stream.isTTY */
  tty?: boolean;
  /** defaults to !NO_COLOR */
  color?: boolean;
  /** minimum time between plain (non-TTY) lines; default 5000 */
  plainIntervalMs?: number;
}

export interface Progress {
  /** the current value; rate and eta are estimated here unless given */
  update(done: number, extra?: { total?: number | null; rate?: number; eta?: number | null }): void;
  /** print a line above the bar (warnings, notes) */
  log(line: string): void;
  /** draw the final state and end the line */
  done(message?: string): void;
  /** run `write` (which prints elsewhere on the terminal, e.g. stdout) with the bar out of the way */
  around(write: () => void): void;
  /** stop without a final line (a failure); on a TTY the bar is erased */
  abort(): void;
}

export { formatBytes } from "../models/units.ts";
import { formatBytes } from "../models/units.ts";

/** 75 → "1m15s", 3700 → "1h01m" */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
}

export function createProgress(opts: ProgressOptions): Progress {
  const stream = opts.stream ?? process.stderr;
  const tty = opts.tty ?? Boolean(stream.isTTY);
  const color = opts.color ?? !setting("NO_COLOR");
  const unit = opts.unit ?? "bytes";
  const plainEvery = opts.plainIntervalMs ?? 5000;
  const started = performance.now();
  let total = opts.total ?? null;
  let value = 0;
  let rate = 0;
  let eta: number | null = null;
  let lastDraw = -Infinity;
  let lastSample: [number, number] = [started, 0];
  let drawn = false;
  let finished = false;

  const fmt = (n: number) => (unit === "bytes" ? formatBytes(n) : unit === "%" ? `${n.toFixed(0)}%` : `${Math.round(n)} ${unit}`);

  function text(withBar: boolean): string {
    const parts = [opts.label];
    const frac = total ? Math.min(1, value / total) : null;
    if (withBar && frac !== null) {
      const width = Math.max(10, Math.min(30, (stream.columns ?? 80) - 60));
      const fill = Math.round(frac * width);
      const bar = "█".repeat(fill) + "░".repeat(width - fill);
      parts.push(color ? `\x1b[36m${bar}\x1b[0m` : bar);
    }
    if (unit === "%") parts.push(fmt(value));
    else if (frac !== null) parts.push(`${(frac * 100).toFixed(1)}%`, `${fmt(value)}/${fmt(total!)}`);
    else parts.push(fmt(value));
    if (unit !== "%" && rate > 0) parts.push(`${fmt(rate)}/s`);
    if (eta !== null && frac !== null && frac < 1) parts.push(`eta ${formatDuration(eta)}`);
    return parts.join(" ");
  }

  function draw(force: boolean): void {
    const now = performance.now();
    if (tty) {
      if (!force && now - lastDraw < 100) return;
      const line = text(true).slice(0, Math.max(20, (stream.columns ?? 80) + 20));
      stream.write(`\r\x1b[2K${line}`);
      drawn = true;
    } else {
      if (!force && now - lastDraw < plainEvery) return;
      stream.write(`${text(false)}\n`);
    }
    lastDraw = now;
  }

  return {
    update(done, extra = {}) {
      if (finished) return;
      if (extra.total !== undefined) total = extra.total;
      const now = performance.now();
      if (extra.rate !== undefined) rate = extra.rate;
      else if (now - lastSample[0] >= 500) {
        const instant = ((done - lastSample[1]) * 1000) / (now - lastSample[0]);
        rate = rate > 0 ? rate * 0.7 + instant * 0.3 : instant;
        lastSample = [now, done];
      }
      value = done;
      if (extra.eta !== undefined) eta = extra.eta;
      else eta = total !== null && rate > 0 ? Math.max(0, total - done) / rate : null;
      draw(false);
    },
    log(line) {
      if (tty && drawn) stream.write("\r\x1b[2K");
      stream.write(`${line}\n`);
      if (tty && drawn && !finished) draw(true);
    },
    around(write) {
      const clear = tty && drawn && !finished;
      if (clear) stream.write("\r\x1b[2K");
      write();
      if (clear) draw(true);
    },
    abort() {
      if (finished) return;
      finished = true;
      if (tty && drawn) stream.write("\r\x1b[2K");
    },
    done(message) {
      if (finished) return;
      finished = true;
      eta = null;
      if (tty) {
        draw(true);
        stream.write("\n");
      } else stream.write(`${text(false)}\n`);
      if (message) stream.write(`${message}\n`);
    },
  };
}
