// Speakers from a two-channel recording (whisper.cpp's stereo method, the call-centre layout:
// one party per channel). A segment belongs to the channel with more energy over its time span.
// Model-based diarization can fill the same `speaker` field later.
import type { Segment } from "../engine/types.ts";

const RATE = 16000;

/** Sets `speaker` (0 = left, 1 = right) on each segment; a tie, or silence on both, is left (0). */
export function labelStereoSpeakers(segments: Segment[], [left, right]: [Float32Array, Float32Array]): void {
  for (const s of segments) {
    const from = Math.max(0, Math.floor((s.t0 / 100) * RATE));
    const to = Math.min(left.length, Math.ceil((s.t1 / 100) * RATE));
    let e0 = 0;
    let e1 = 0;
    for (let i = from; i < to; i++) {
      e0 += left[i]! * left[i]!;
      e1 += right[i]! * right[i]!;
    }
    s.speaker = e1 > e0 ? 1 : 0;
  }
}
