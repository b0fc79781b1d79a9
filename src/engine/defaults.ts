// What the engine picks when the caller does not say. bench/ (rows 8 and 9) measures both choices
// against the alternatives on the machine it runs on.

/** Flash attention in whisper.cpp's CPU backend: on, as in whisper.cpp 1.9.1's own tools. */
export const DEFAULT_FLASH_ATTN = true;

/** Inference threads when none are asked for: every core, at most 8. */
export function defaultThreads(): number {
  return Math.max(1, Math.min(8, navigator.hardwareConcurrency));
}

/**
 * Threads for one job on one of `slots` slots: the cores shared out among the slots (at most 8),
 * and a request's own `n_threads` capped at that share when there is more than one slot, so that
 * N slots cannot oversubscribe the machine. One slot keeps the caller's choice.
 */
export function slotThreads(slots: number, asked?: number): number {
  if (slots <= 1) return asked ?? defaultThreads();
  const share = Math.max(1, Math.min(8, Math.floor(navigator.hardwareConcurrency / slots)));
  return Math.min(asked ?? share, share);
}
