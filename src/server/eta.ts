// How long until the running transcription is done, for a busy answer's Retry-After. The OpenAI
// SDKs wait that long before they retry a 429 (twice by default), so a fixed "1" spent both
// retries in the first two seconds of a minute-long job. whisper.cpp reports its progress as a
// percentage; the time so far over the share done gives the time left, assuming a steady pace.

/** The transcription holding the gate: when it started and how far it has got. */
export class RunningJob {
  readonly startedAt: number;
  /** 0..100, whisper.cpp's last progress report */
  progress = 0;

  constructor(now = performance.now()) {
    this.startedAt = now;
  }

  report(progress: number): void {
    if (progress > this.progress) this.progress = Math.min(100, progress);
  }
}

/** Without a job or a progress report there is nothing to go on: try again soon. */
export const UNKNOWN_WAIT_MS = 1000;
/** A Retry-After beyond an hour says more about a stalled job than about when to come back. */
const MAX_WAIT_MS = 3_600_000;

/** Milliseconds until `job` is likely done (at least UNKNOWN_WAIT_MS when nothing is known yet). */
export function estimateWaitMs(job: RunningJob | null, now = performance.now()): number {
  if (!job || job.progress <= 0) return UNKNOWN_WAIT_MS;
  const elapsed = Math.max(0, now - job.startedAt);
  const left = (elapsed * (100 - job.progress)) / job.progress;
  return Math.round(Math.min(MAX_WAIT_MS, Math.max(left, 100)));
}
