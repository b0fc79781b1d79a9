// Sizes as people read them: binary multiples with their binary names (1 MiB = 1024 KiB), the way
// `sona pull` and `sona models` print them and `--max-upload` accepts them.
const UNITS = ["B", "KiB", "MiB", "GiB", "TiB"];

/** 1536 → "1.5 KiB" */
export function formatBytes(n: number): string {
  let i = 0;
  while (n >= 1024 && i < UNITS.length - 1) (n /= 1024), i++;
  return `${i === 0 ? n.toFixed(0) : n.toFixed(1)} ${UNITS[i]}`;
}

/** always in MiB, for messages that compare two sizes: "812.3 MiB" */
export function formatMiB(n: number): string {
  return `${(n / 1024 ** 2).toFixed(1)} MiB`;
}
