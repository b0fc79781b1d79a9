// The client's opt-in answer to a busy server: wait as long as the 429 says, then send again. Off
// by default, as in the original: a caller that would rather try another server, or tell its user,
// still sees busy at once. Only `busy` is retried; every other error would fail the same way again
// (the server says so with `x-should-retry: false`).
import type { IncomingHttpHeaders } from "node:http";
import { abortError } from "./errors.ts";

export interface RetryBusyOptions {
  /** how many times a busy transcription is sent again; default 3 */
  retries?: number;
  /** the longest one wait lasts, in ms (a longer advertised wait is cut to this); default 60000 */
  maxWaitMs?: number;
}

/** `true` means the defaults; false or undefined, no retries. */
export type RetryBusy = boolean | RetryBusyOptions;

export const DEFAULT_RETRIES = 3;
export const DEFAULT_MAX_WAIT_MS = 60_000;
/** a busy answer that says nothing about when to come back (the server's own fallback too) */
const UNKNOWN_WAIT_MS = 1000;

export function retryPolicy(option: RetryBusy | undefined): Required<RetryBusyOptions> {
  if (!option) return { retries: 0, maxWaitMs: 0 };
  const given = option === true ? {} : option;
  return {
    retries: Math.max(0, Math.floor(given.retries ?? DEFAULT_RETRIES)),
    maxWaitMs: Math.max(0, given.maxWaitMs ?? DEFAULT_MAX_WAIT_MS),
  };
}

const header = (headers: IncomingHttpHeaders, name: string) => {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
};

/**
 * How long a busy answer asks the client to wait: `retry-after-ms` (the server's estimate to the
 * millisecond, the header OpenAI's SDKs read first), else `Retry-After` (seconds, or an HTTP
 * date), else a second; never more than `maxWaitMs`.
 */
export function busyWaitMs(headers: IncomingHttpHeaders, maxWaitMs: number, now = Date.now()): number {
  const ms = Number(header(headers, "retry-after-ms") ?? NaN);
  const after = header(headers, "retry-after");
  let wait = UNKNOWN_WAIT_MS;
  if (Number.isFinite(ms) && ms >= 0) wait = ms;
  else if (after !== undefined && after.trim() !== "" && Number.isFinite(Number(after))) wait = Math.max(0, Number(after)) * 1000;
  else if (after !== undefined && Number.isFinite(Date.parse(after))) wait = Math.max(0, Date.parse(after) - now);
  return Math.min(wait, maxWaitMs);
}

/** Resolves after `ms`, or rejects with an `aborted` error as soon as `signal` aborts. */
export function pause(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.reject(abortError(signal));
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortError(signal!));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
