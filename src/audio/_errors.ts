// The audio module's errors that are not about a malformed file.
import { SonaError } from "../errors.ts";

export function aborted(): SonaError {
  return new SonaError("aborted", "audio decoding was aborted");
}

/** For decoded audio that the machine cannot hold. */
export function tooLong(samples: number, cause: unknown): SonaError {
  const hours = (samples / 16000 / 3600).toFixed(1);
  return new SonaError("too_large", `audio too long to decode in memory (${hours} hours at 16 kHz)`, { cause });
}
