// The download engine behind `sona pull`: resumable (HTTP Range from <dest>.part), retried with
// backoff on transient failures, verified (size and sha256/sha1, streamed over the .part bytes and
// the new ones) before an atomic rename into place. It reports through typed events and never prints.
import { existsSync, statfsSync, statSync } from "node:fs";
import { mkdir, open, rename, rm, truncate } from "node:fs/promises";
import { basename, dirname } from "node:path";
import { setting } from "../config.ts";
import { SonaError } from "../errors.ts";
import { formatMiB } from "./units.ts";
import { type Digest, type Env, expectedDigest, findModel, hubEndpoint, listRegistry, nameForFile } from "./registry.ts";
import { validateDownloadedModel } from "./validate-download.ts";
import { destinationPath, namesADirectory } from "./store.ts";

export type PullEvent =
  | { type: "resolved"; name: string; url: string; path: string; size: number | null; digest: Digest | null }
  | { type: "progress"; downloaded: number; total: number | null; rate: number; eta: number | null }
  | { type: "retry"; attempt: number; retries: number; delayMs: number; reason: string }
  | { type: "verifying"; path: string }
  | { type: "warning"; message: string }
  | { type: "done"; path: string; size: number; sha256: string | null; verified: Verified; downloaded: boolean };

/** what the final file was checked against */
export type Verified = "sha256" | "sha1" | "size" | "none";

export interface PullOptions {
  output?: string; // -o: a directory or a file path (default: the models directory)
  onEvent?: (event: PullEvent) => void;
  signal?: AbortSignal; // aborting keeps the .part for the next pull
  env?: Env;
  retries?: number; // transient failures tolerated in a row (default SONA_PULL_RETRIES or 5)
  retryBaseMs?: number; // first backoff delay, doubled each time (default SONA_PULL_RETRY_BASE_MS or 1000)
}

/** downloaded is false when a verified copy was already there */
export type PullResult = { name: string; path: string; size: number; verified: Verified; downloaded: boolean };

/** a failure worth retrying: a reset connection, 5xx, 429, a short body */
class Transient extends Error {}

/** no DNS answer, or nothing listening: retrying for half a minute would not help */
const UNREACHABLE = new Set(["ENOTFOUND", "EAI_AGAIN", "ECONNREFUSED", "ENETUNREACH", "EHOSTUNREACH", "ConnectionRefused", "FailedToOpenSocket"]);

function unreachable(job: Job, e: NodeJS.ErrnoException): SonaError {
  let host = job.url;
  try {
    host = new URL(job.url).host;
  } catch {}
  const why = e.code === "ENOTFOUND" || e.code === "EAI_AGAIN" ? "the name does not resolve" : "the connection was refused";
  const hint = job.fromHub
    ? `check the network connection, or set HF_ENDPOINT to a Hugging Face mirror (now ${hubEndpoint(job.env)})`
    : "check the URL and the network connection";
  return new SonaError("download_failed", `cannot reach ${host} (${why}): ${hint}`, { cause: e });
}

/** what to fetch and where it goes (dest is null until a URL download's response names the file) */
type Job = { name: string; url: string; dest: string | null; size: number | null; digest: Digest | null; output?: string; env: Env; fromHub: boolean };

const isUrl = (s: string) => /^https?:\/\//i.test(s);
const num = (v: string | undefined, d: number) => (v !== undefined && v !== "" && Number.isFinite(+v) ? +v : d);

function planJob(nameOrUrl: string, opts: PullOptions, env: Env): Job {
  if (isUrl(nameOrUrl)) {
    const known = listRegistry(env).find((e) => e.url === nameOrUrl);
    if (known) return planJob(known.name, opts, env);
    // the file name comes from the response unless -o names the file itself
    const dest = opts.output && !namesADirectory(opts.output) ? destinationPath(opts.output, "", env) : null;
    const name = dest ? nameForFile(basename(dest)) : nameOrUrl;
    return { name, url: nameOrUrl, dest, size: null, digest: null, output: opts.output, env, fromHub: false };
  }
  const entry = findModel(nameOrUrl, env);
  if (!entry) {
    throw new SonaError("model_not_found", `unknown model '${nameOrUrl}': not a registry name (see sona models --available) and not an http(s) URL`, { param: "model" });
  }
  const dest = destinationPath(opts.output, entry.file, env);
  return { name: entry.name, url: entry.url, dest, size: entry.size, digest: expectedDigest(entry), env, fromHub: entry.url.startsWith(`${hubEndpoint(env)}/`) };
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    const onAbort = () => (clearTimeout(timer), reject(signal?.reason));
    const timer = setTimeout(() => (signal?.removeEventListener("abort", onAbort), resolve()), ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });

/** progress events at most every 100 ms, with a rate over the last ~5 s */
function progressMeter(emit: (e: PullEvent) => void) {
  let samples: [number, number][] = [];
  let last = 0;
  return {
    restart: (have: number) => void (samples = [[performance.now(), have]]),
    report(have: number, total: number | null) {
      const now = performance.now();
      if (now - last < 100) return;
      last = now;
      samples.push([now, have]);
      while (samples.length > 2 && now - samples[0]![0] > 5000) samples.shift();
      const [t0, b0] = samples[0]!;
      const rate = now > t0 ? ((have - b0) * 1000) / (now - t0) : 0;
      emit({ type: "progress", downloaded: have, total, rate, eta: total !== null && rate > 0 ? Math.max(0, total - have) / rate : null });
    },
  };
}

/** download a registry model or a URL; resolves once the file is verified and in place */
export async function pull(nameOrUrl: string, opts: PullOptions = {}): Promise<PullResult> {
  const env = opts.env ?? process.env;
  const job = planJob(nameOrUrl, opts, env);
  try {
    return await run(job, opts, env);
  } catch (e) {
    if (!opts.signal?.aborted) throw e;
    const where = job.dest ? `${job.dest}.part` : "the partial file";
    throw new SonaError("aborted", `download interrupted; ${where} was kept: run the same pull again to resume`, { cause: e });
  }
}

async function run(job: Job, opts: PullOptions, env: Env): Promise<PullResult> {
  const emit = opts.onEvent ?? (() => {});
  const { signal } = opts;
  const retries = opts.retries ?? num(setting("SONA_PULL_RETRIES", env), 5);
  const baseMs = opts.retryBaseMs ?? num(setting("SONA_PULL_RETRY_BASE_MS", env), 1000);
  const algo = job.digest?.algo ?? "sha256";
  const finish = (path: string, size: number, hex: string | null, verified: Verified, downloaded: boolean): PullResult => {
    emit({ type: "done", path, size, sha256: algo === "sha256" ? hex : null, verified, downloaded });
    return { name: job.name, path, size, verified, downloaded };
  };
  if (job.dest) emit({ type: "resolved", name: job.name, url: job.url, path: job.dest, size: job.size, digest: job.digest });

  // Already there: keep it when it verifies (size and checksum), otherwise download it again.
  if (job.dest && existsSync(job.dest) && (job.digest || job.size !== null)) {
    emit({ type: "verifying", path: job.dest });
    const { size, hex } = await digestFile(job.dest, algo, signal);
    if ((job.size === null || size === job.size) && (!job.digest || hex === job.digest.hex)) {
      return finish(job.dest, size, hex, job.digest?.algo ?? "size", false);
    }
    emit({ type: "warning", message: `${job.dest} does not match the published ${job.digest?.algo ?? "size"}; downloading it again` });
  }

  let hasher = new Bun.CryptoHasher(algo);
  let hashed = 0; // how many bytes of the .part the hasher has seen
  let failures = 0;
  let reached = false; // a server answered once: a refused connection after that is worth a retry
  const meter = progressMeter(emit);
  const restartPart = async (part: string) => {
    await truncate(part, 0).catch(() => {});
    hasher = new Bun.CryptoHasher(algo);
    return (hashed = 0);
  };

  // One HTTP request: "done" when the .part holds the whole file, "again" to ask again at once,
  // "present" when an unverifiable existing file already has the size the server announces.
  const attempt = async (): Promise<"done" | "again" | "present"> => {
    let part = job.dest ? `${job.dest}.part` : null;
    let have = part ? sizeOrZero(part) : 0;
    if (part && job.size !== null && have > job.size) have = await restartPart(part);
    if (part && job.size !== null && have === job.size) return "done";
    const res = await fetch(job.url, { headers: have > 0 ? { Range: `bytes=${have}-` } : {}, signal }).catch((e: NodeJS.ErrnoException) => {
      if (!reached && !signal?.aborted && UNREACHABLE.has(e.code ?? "")) throw unreachable(job, e);
      throw new Transient(e.message);
    });
    reached = true;
    const drop = () => res.body?.cancel().catch(() => {});
    if (res.status === 416 && part && have > 0) {
      await drop();
      const total = /\*\/(\d+)/.exec(res.headers.get("content-range") ?? "")?.[1];
      if (total !== undefined && +total === have) return "done";
      await restartPart(part);
      return "again";
    }
    if (res.status >= 500 || res.status === 429 || res.status === 408) {
      await drop();
      throw new Transient(`HTTP ${res.status}`);
    }
    if (!res.ok) {
      await drop();
      throw new SonaError("download_failed", `download failed: HTTP ${res.status} for ${job.url}`);
    }
    if (!part) {
      job.dest = destinationPath(job.output, fileNameFromResponse(res, job.url), job.env);
      job.name = nameForFile(basename(job.dest));
      emit({ type: "resolved", name: job.name, url: job.url, path: job.dest, size: null, digest: null });
      part = `${job.dest}.part`;
      if (sizeOrZero(part) > 0) return (await drop(), "again"); // resume it with a Range request
    }
    let total: number | null;
    if (res.status === 206) {
      const m = /bytes\s+(\d+)-\d+\/(\d+|\*)/.exec(res.headers.get("content-range") ?? "");
      if (!m || Number(m[1]) !== have) {
        await drop();
        await restartPart(part);
        throw new Transient(`unexpected Content-Range '${res.headers.get("content-range")}'`);
      }
      total = m[2] === "*" ? job.size : Number(m[2]);
    } else {
      if (have > 0) {
        emit({ type: "warning", message: "the server ignored the resume request (no HTTP 206); downloading from the start" });
        have = await restartPart(part);
      }
      const len = Number(res.headers.get("content-length") ?? Number.NaN); // a compressed body's length is not the file's
      total = Number.isSafeInteger(len) && len >= 0 && !res.headers.get("content-encoding") ? len : job.size;
      if (!job.digest && job.size === null && total !== null && existsSync(job.dest!) && sizeOrZero(job.dest!) === total) {
        await drop();
        return "present";
      }
    }
    if (total !== null) {
      // known before a byte is written: a wrong size or a full disk fails now, not after gigabytes
      if (job.size !== null && total !== job.size) {
        await drop();
        throw new SonaError("download_failed", `the server announces ${total} bytes for ${job.name}, but its published size is ${job.size}; not downloading it (${job.url})`);
      }
      await mkdir(dirname(part), { recursive: true });
      const free = freeBytes(dirname(part));
      if (free !== null && free < total - have) {
        await drop();
        throw new SonaError("insufficient_storage", `not enough disk space in ${dirname(part)}: ${job.name} needs ${formatMiB(total - have)} more, ${formatMiB(free)} is free`);
      }
    }
    await mkdir(dirname(part), { recursive: true });
    if (hashed !== have) {
      hasher = new Bun.CryptoHasher(algo);
      hashed = await hashInto(hasher, part, signal);
    }
    const start = have;
    meter.restart(have);
    const reader = res.body?.getReader();
    const read = () =>
      reader?.read().catch((e: Error) => {
        if (signal?.aborted) throw e;
        throw new Transient(e.message);
      });
    const fh = await open(part, "a");
    try {
      for (let chunk = await read(); chunk && !chunk.done; chunk = await read()) {
        await fh.write(chunk.value);
        hasher.update(chunk.value);
        hashed = have += chunk.value.byteLength;
        meter.report(have, total);
      }
    } finally {
      await fh.close();
      if (have > start) failures = 0; // progress was made: the retry budget starts over
    }
    if (total !== null && have < total) throw new Transient(`connection closed after ${have} of ${total} bytes`);
    emit({ type: "progress", downloaded: have, total: total ?? have, rate: 0, eta: 0 });
    return "done";
  };

  for (let outcome; outcome !== "done"; ) {
    try {
      outcome = await attempt();
      if (outcome === "present") {
        emit({ type: "warning", message: `${job.dest} is already there with the size the server announces; no checksum is known to verify it` });
        return finish(job.dest!, sizeOrZero(job.dest!), null, "size", false);
      }
    } catch (e) {
      if (!(e instanceof Transient) || signal?.aborted) throw e;
      if (++failures > retries) {
        throw new SonaError("download_failed", `download failed: ${e.message} (gave up after ${retries} retries) for ${job.url}`, { cause: e });
      }
      const delayMs = Math.min(baseMs * 2 ** (failures - 1), 30_000);
      emit({ type: "retry", attempt: failures, retries, delayMs, reason: e.message });
      await sleep(delayMs, signal);
    }
  }

  const dest = job.dest!;
  const part = `${dest}.part`;
  const { size, hex } = hashed === sizeOrZero(part) ? { size: hashed, hex: hasher.digest("hex") } : await digestFile(part, algo, signal);
  const fail = async (message: string) => {
    await rm(part, { force: true });
    return new SonaError("download_failed", `${message}; the partial download was deleted, run the pull again`);
  };
  if (job.size !== null && size !== job.size) throw await fail(`size mismatch for ${job.name}: expected ${job.size} bytes, got ${size}`);
  if (job.digest && hex !== job.digest.hex) throw await fail(`checksum mismatch for ${job.name}: expected ${job.digest.algo} ${job.digest.hex}, got ${hex}`);
  if (!job.digest) {
    // nothing published to check it against (a URL): it must at least be a model whisper.cpp can use
    try {
      await validateDownloadedModel(part);
    } catch (e) {
      await rm(part, { force: true });
      throw new SonaError("invalid_model", `the download from ${job.url} is not a whisper.cpp or VAD model (${(e as Error).message.replace(/: [^:]*\.part$/, "")}); it was deleted`, { cause: e });
    }
  }
  await rename(part, dest);
  const verified: Verified = job.digest?.algo ?? (job.size !== null ? "size" : "none");
  if (!job.digest) {
    emit({ type: "warning", message: `no published checksum for ${job.name}: ${verified === "size" ? "only its size was verified" : "it could not be verified"} (sha256 ${hex})` });
  }
  return finish(dest, size, hex, verified, true);
}

// ---- the download's file and HTTP helpers ----

/** free bytes for an unprivileged writer, or null when the file system does not say */
function freeBytes(dir: string): number | null {
  try {
    const s = statfsSync(dir);
    return Number(s.bavail) * Number(s.bsize);
  } catch {
    return null;
  }
}

/** a file's size in bytes, or 0 when it does not exist */
function sizeOrZero(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

/** feed a file's bytes to a hasher (streaming; models are gigabytes) */
async function hashInto(hasher: Bun.CryptoHasher, path: string, signal?: AbortSignal): Promise<number> {
  let n = 0;
  for await (const chunk of Bun.file(path).stream()) {
    signal?.throwIfAborted();
    hasher.update(chunk);
    n += chunk.byteLength;
  }
  return n;
}

/** a file's size and digest */
async function digestFile(path: string, algo: "sha256" | "sha1", signal?: AbortSignal): Promise<{ size: number; hex: string }> {
  const hasher = new Bun.CryptoHasher(algo);
  const size = await hashInto(hasher, path, signal);
  return { size, hex: hasher.digest("hex") };
}

/** a name for a URL download: Content-Disposition, then the final URL's path, then the request's */
export function fileNameFromResponse(res: Response, requestUrl: string): string {
  const cd = res.headers.get("content-disposition") ?? "";
  const star = /filename\*\s*=\s*[^']*'[^']*'([^;]+)/i.exec(cd)?.[1];
  const plain = /filename\s*=\s*(?:"([^"]*)"|([^;]+))/i.exec(cd);
  const decode = (s: string) => { try { return decodeURIComponent(s); } catch { return s; } };
  const fromUrl = (u: string) => { try { return decode(new URL(u).pathname.split("/").pop() ?? ""); } catch { return ""; } };
  const candidates = [star ? decode(star.trim()) : "", plain?.[1] ?? plain?.[2]?.trim() ?? "", fromUrl(res.url), fromUrl(requestUrl)];
  for (const c of candidates) {
    const name = basename(c.replaceAll("\\", "/"));
    if (name && name !== "." && name !== "..") return name;
  }
  return "model.bin";
}
