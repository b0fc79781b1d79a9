// Centisecond conversions. The engine keeps times as integer centiseconds so that every format
// prints them exactly; these helpers are the only place that turns them into seconds or clocks.

/**
 * Centiseconds → seconds with at most two decimals. Dividing an integer by 100 gives the double
 * nearest the decimal (250 → 2.5, 3 → 0.03), so JSON never shows float noise like 0.30000000000000004.
 */
export function seconds(cs: number): number {
  return Math.round(cs) / 100;
}

/** Seconds (e.g. samples / 16000) → seconds rounded to milliseconds, for durations. */
export function roundMs(s: number): number {
  return Math.round(s * 1000) / 1000;
}

/**
 * Centiseconds → "HH:MM:SS<sep>mmm" (SRT uses ",", WebVTT "."). Hours are not wrapped at 24 and
 * grow past two digits, as in the original; negative input (never expected) prints as zero.
 */
export function clock(cs: number, sep: "," | "."): string {
  const ms = Math.max(0, Math.round(cs)) * 10;
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor(ms / 60_000) % 60;
  const s = Math.floor(ms / 1000) % 60;
  return `${pad(h, 2)}:${pad(m, 2)}:${pad(s, 2)}${sep}${pad(ms % 1000, 3)}`;
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, "0");
}
