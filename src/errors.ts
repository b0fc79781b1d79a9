// One error type for the CLI, the server and the client. `code` is the original Sona's error code
// (busy, no_model, invalid_request, invalid_audio, internal_error, ...); the HTTP status and
// OpenAI's `type`/`param` are derived from it, so every layer reports a failure the same way.
export type ErrorCode =
  | "invalid_request"
  | "invalid_audio"
  | "invalid_model"
  | "model_not_found"
  | "too_large"
  | "audio_too_long"
  | "insufficient_storage"
  | "busy"
  | "no_model"
  | "forbidden"
  | "unauthorized"
  | "not_found"
  | "download_failed"
  | "aborted"
  | "timeout"
  | "gpu_out_of_memory"
  | "internal_error";

const STATUS: Record<ErrorCode, number> = {
  invalid_request: 400,
  invalid_audio: 400,
  invalid_model: 400,
  model_not_found: 400,
  too_large: 413,
  audio_too_long: 413,
  insufficient_storage: 507,
  busy: 429,
  no_model: 503,
  forbidden: 403,
  unauthorized: 401,
  not_found: 404,
  download_failed: 502,
  aborted: 499,
  timeout: 408,
  // 503, not 507 (the full temp dir): the device's memory frees when other work ends, so the same
  // request may succeed later; the owner can also reload the model with no_gpu
  gpu_out_of_memory: 503,
  internal_error: 500,
};

export const ERROR_CODES = Object.keys(STATUS) as ErrorCode[];

export class SonaError extends Error {
  override readonly name = "SonaError";
  readonly code: ErrorCode;
  /** the request field or CLI flag at fault, if any */
  readonly param: string | null;
  readonly status: number;

  constructor(code: ErrorCode, message: string, options: { param?: string; status?: number; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.code = code;
    this.param = options.param ?? null;
    this.status = options.status ?? STATUS[code];
  }

  /** OpenAI's `type`, kept beside the original's `code` */
  get type(): "invalid_request_error" | "server_error" {
    return this.status >= 500 ? "server_error" : "invalid_request_error";
  }

  toJSON(): { error: { code: ErrorCode; message: string; type: "invalid_request_error" | "server_error"; param: string | null } } {
    return { error: { code: this.code, message: this.message, type: this.type, param: this.param } };
  }
}

export function isSonaError(e: unknown): e is SonaError {
  return e instanceof SonaError;
}
