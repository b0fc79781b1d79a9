// The client's one error type. Deliberately not src/errors.ts's SonaError: that class belongs to the
// server (its codes map to HTTP statuses the server sends), while a client must also describe
// failures no HTTP status exists for (the process died, the binary is missing), and must keep
// working when a newer server adds codes. So `code` is a plain string here.

export interface SonaClientErrorInit {
  param?: string | null;
  retryAfter?: number | null;
  stderr?: string[];
  cause?: unknown;
}

/**
 * A failed request or a failed `sona` process.
 * - `status`: the HTTP status; null when no HTTP answer came (spawn failures, a dead process).
 * - `code`: the server's code (busy, no_model, invalid_request, invalid_audio, too_large,
 *   internal_error, …) or the client's own: binary_not_found, spawn_failed, ready_timeout,
 *   bad_ready_line, process_exited, connection_failed, stream_truncated, http_error, aborted.
 * - `stderr`: the child's last stderr lines when the process is at fault.
 */
export class SonaClientError extends Error {
  override readonly name = "SonaClientError";
  readonly status: number | null;
  readonly code: string;
  readonly param: string | null;
  /** seconds, from a 429's Retry-After header */
  readonly retryAfter: number | null;
  readonly stderr: string[];

  constructor(status: number | null, code: string, message: string, init: SonaClientErrorInit = {}) {
    const stderr = init.stderr ?? [];
    const head = status === null ? `[${code}]` : `[${status} ${code}]`;
    const tail = stderr.length ? `\nlast stderr lines of sona:\n${stderr.map((l) => `  ${l}`).join("\n")}` : "";
    super(`${head} ${message}${tail}`, init.cause === undefined ? undefined : { cause: init.cause });
    this.status = status;
    this.code = code;
    this.param = init.param ?? null;
    this.retryAfter = init.retryAfter ?? null;
    this.stderr = stderr;
  }

  /** The message without the code prefix and the stderr lines. */
  get detail(): string {
    return this.message.replace(/^\[[^\]]*\] /, "").split("\nlast stderr lines of sona:\n")[0]!;
  }
}

export function isSonaClientError(e: unknown): e is SonaClientError {
  return e instanceof SonaClientError;
}

/** What an aborted request (or an aborted wait between retries) throws: `aborted`, with the signal's reason. */
export function abortError(signal: AbortSignal): SonaClientError {
  const why = signal.reason instanceof Error ? signal.reason.message : "the request was aborted";
  return new SonaClientError(null, "aborted", why, { cause: signal.reason });
}

/** The server's {"error":{code,message,type,param}} body as an error (anything else: http_error). */
export function errorFromBody(status: number, body: string, retryAfterHeader?: string | string[]): SonaClientError {
  const header = Array.isArray(retryAfterHeader) ? retryAfterHeader[0] : retryAfterHeader;
  const retryAfter = header !== undefined && Number.isFinite(Number(header)) ? Number(header) : null;
  try {
    const err = (JSON.parse(body) as { error?: { code?: unknown; message?: unknown; param?: unknown } }).error;
    if (err && typeof err.message === "string") {
      const param = typeof err.param === "string" ? err.param : null;
      return new SonaClientError(status, typeof err.code === "string" ? err.code : "http_error", err.message, { param, retryAfter });
    }
  } catch {
    // not JSON: reported as is below
  }
  return new SonaClientError(status, "http_error", `HTTP ${status}: ${body.slice(0, 500)}`, { retryAfter });
}
