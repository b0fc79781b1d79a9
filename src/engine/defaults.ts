// What the engine picks when the caller does not say. bench/ (rows 8 and 9) measures both choices
// against the alternatives on the machine it runs on.

/** Flash attention in whisper.cpp's CPU backend: on, as in whisper.cpp 1.9.1's own tools. */
export const DEFAULT_FLASH_ATTN = true;

/** Inference threads when none are asked for: every core, at most 8. */
export function defaultThreads(): number {
  return Math.max(1, Math.min(8, navigator.hardwareConcurrency));
}
