// Sizes the registry does not publish, asked of the hub: a HEAD request per file (Hugging Face
// answers with a redirect to its CDN, whose Content-Length is the file's size). Used by
// `sona models --available`; offline, or when the hub does not say, a size stays unknown.
import type { ModelEntry } from "./registry.ts";

const TIMEOUT_MS = 4000;

export async function fillSizes(entries: ModelEntry[]): Promise<{ entries: ModelEntry[]; unknown: number }> {
  const filled = await Promise.all(
    entries.map(async (e) => {
      if (e.size !== null) return e;
      try {
        const res = await fetch(e.url, { method: "HEAD", redirect: "follow", signal: AbortSignal.timeout(TIMEOUT_MS) });
        const linked = res.headers.get("x-linked-size");
        const length = Number(linked ?? res.headers.get("content-length") ?? Number.NaN);
        return res.ok && Number.isSafeInteger(length) && length > 0 ? { ...e, size: length } : e;
      } catch {
        return e; // offline or unreachable: the size stays unknown
      }
    }),
  );
  return { entries: filled, unknown: filled.filter((e) => e.size === null).length };
}
