// Words from whisper's tokens, shared by verbose_json and the streaming encoders. Whisper's BPE
// tokens carry the space that precedes a word (" world"), so a token starting with a space opens a
// word and anything else (",", "n't", the second half of a long word) extends the previous one.
import type { Segment, Token } from "../engine/types.ts";
import { seconds } from "./time.ts";
import type { Word } from "./wire.ts";

/** OpenAI's TranscriptionWord: text without the leading space, times in seconds. */
export type { Word };

// Control tokens as whisper.cpp prints them ("[_BEG_]", "[_TT_150]", "<|endoftext|>"): skipped
// even if an engine build forgets to mark one special, because they are never spoken text.
const CONTROL = /^(\[_[A-Z0-9_]*\]|<\|[^|]*\|>)$/;

/** A token that is part of the transcript text (not a timestamp, language tag, [_BEG_], ...). */
export function isTextToken(token: Token): boolean {
  return !token.special && !CONTROL.test(token.text);
}

/**
 * Group a segment's text tokens into words. Token times (t0/t1, centiseconds) come from
 * whisper.cpp's token timestamps; when they are missing (-1, word timestamps off) the segment's
 * bounds stand in, so a word never reports a negative or out-of-segment time.
 */
export function segmentWords(segment: Segment): Word[] {
  const words: Word[] = [];
  let text = "";
  let t0 = 0;
  let t1 = 0;
  const flush = () => {
    const word = text.trim();
    // A lone space token would otherwise become an empty word.
    if (word) words.push({ word, start: seconds(t0), end: seconds(Math.max(t0, t1)) });
  };
  for (const token of segment.tokens) {
    if (!isTextToken(token)) continue;
    const start = clamp(token.t0, segment, segment.t0);
    const end = clamp(token.t1, segment, segment.t1);
    if (text === "" || token.text.startsWith(" ")) {
      if (text !== "") flush();
      text = token.text;
      t0 = start;
    } else {
      text += token.text;
    }
    t1 = end;
  }
  if (text !== "") flush();
  return words;
}

/** All words of a transcript, in order. */
export function transcriptWords(segments: readonly Segment[]): Word[] {
  return segments.flatMap(segmentWords);
}

function clamp(t: number, segment: Segment, missing: number): number {
  if (!(t >= 0)) return missing;
  return Math.min(Math.max(t, segment.t0), segment.t1);
}
