// Summaries of repeated measurements. Every figure in BENCHMARKS.md is a median with its min and
// max; comparisons are ratios of runs made side by side (see interleave), never of numbers taken
// at different times.

export interface Summary {
  n: number;
  median: number;
  min: number;
  max: number;
}

export function summarize(values: number[]): Summary {
  if (values.length === 0) return { n: 0, median: NaN, min: NaN, max: NaN };
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  const median = s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
  return { n: s.length, median, min: s[0]!, max: s[s.length - 1]! };
}

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const rank = (p / 100) * (s.length - 1);
  const lo = Math.floor(rank), hi = Math.ceil(rank);
  return s[lo]! + (s[hi]! - s[lo]!) * (rank - lo);
}

/** Element-wise a[i] / b[i]: the ratio of each side-by-side pair. */
export function pairRatios(a: number[], b: number[]): number[] {
  return a.map((x, i) => x / b[i]!);
}

export interface Contender<T> {
  name: string;
  run: (iteration: number) => Promise<T> | T;
}

/**
 * Runs each contender once per iteration, alternating the order (A B C, then C B A, ...) so that a
 * slow drift in machine load does not always fall on the same side. Returns results per contender.
 */
export async function interleave<T>(
  iterations: number,
  contenders: Contender<T>[],
  onResult?: (name: string, iteration: number, result: T) => void,
): Promise<Record<string, T[]>> {
  const out: Record<string, T[]> = Object.fromEntries(contenders.map((c) => [c.name, [] as T[]]));
  for (let i = 0; i < iterations; i++) {
    const order = i % 2 === 0 ? contenders : [...contenders].reverse();
    const got = new Map<string, T>();
    for (const c of order) {
      const r = await c.run(i);
      got.set(c.name, r);
      onResult?.(c.name, i, r);
    }
    // stored in contender order so that index i of every list is the same iteration
    for (const c of contenders) out[c.name]!.push(got.get(c.name)!);
  }
  return out;
}

export function fmt(x: number, digits = 0): string {
  if (!Number.isFinite(x)) return "n/a";
  return x.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits, useGrouping: false });
}

/** "1234 (1200–1300)" */
export function fmtSummary(s: Summary, digits = 0, unit = ""): string {
  if (s.n === 0) return "n/a";
  const u = unit ? ` ${unit}` : "";
  if (s.n === 1) return `${fmt(s.median, digits)}${u}`;
  return `${fmt(s.median, digits)}${u} (${fmt(s.min, digits)}–${fmt(s.max, digits)})`;
}
