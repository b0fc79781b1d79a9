// Turn detection on a stream: Silero's per-window speech probabilities (one per 32 ms) in, "speech
// started" and "speech stopped" out, on the stream's window index. Pure and synchronous, so the
// same probabilities always give the same turns whatever the chunking or the pace of the input.
// The hysteresis is Silero's own (get_speech_timestamps): speech starts above `threshold`, and
// only a stretch below `threshold - 0.15` as long as `silenceMs` ends it.
import { VAD_WINDOW_SAMPLES } from "./audio.ts";

export interface TurnOptions {
  /** probability above which a window is speech (OpenAI's server_vad threshold) */
  threshold: number;
  /** this much silence ends a turn (OpenAI's silence_duration_ms) */
  silenceMs: number;
  /** speech shorter than this (a click, a cough) never opens a turn */
  minSpeechMs: number;
}

/** OpenAI's server_vad defaults for threshold and silence; Silero's 250 ms minimum speech. */
export const DEFAULT_TURN_OPTIONS: Readonly<TurnOptions> = { threshold: 0.5, silenceMs: 500, minSpeechMs: 250 };

export type TurnStep =
  | { type: "none" }
  /** a turn opened; `onset` is the window its speech began in (before minSpeechMs confirmed it) */
  | { type: "started"; onset: number }
  /** the turn closed; `end` is the window after its last speech window */
  | { type: "stopped"; end: number };

const WINDOW_MS = (VAD_WINDOW_SAMPLES / 16000) * 1000;

export class TurnDetector {
  private state: "silence" | "candidate" | "speech" = "silence";
  private onset = 0;
  private lastSpeech = 0;
  private speechWindows = 0;
  private readonly neg: number;
  private readonly silenceWindows: number;
  private readonly minSpeechWindows: number;

  constructor(private readonly options: TurnOptions) {
    this.neg = Math.max(0.01, options.threshold - 0.15);
    this.silenceWindows = Math.max(1, Math.round(options.silenceMs / WINDOW_MS));
    this.minSpeechWindows = Math.max(1, Math.round(options.minSpeechMs / WINDOW_MS));
  }

  get speaking(): boolean {
    return this.state === "speech";
  }

  /** the onset window of speech not yet long enough to open a turn, or null */
  get candidate(): number | null {
    return this.state === "candidate" ? this.onset : null;
  }

  /** The probability of window `index` (windows come in order, one call each). */
  step(index: number, p: number): TurnStep {
    const speech = p >= this.options.threshold;
    if (this.state === "silence") {
      if (!speech) return { type: "none" };
      this.state = "candidate";
      this.onset = index;
      this.lastSpeech = index;
      this.speechWindows = 1;
    } else if (speech) {
      this.lastSpeech = index;
      this.speechWindows++;
    } else if (p < this.neg && index - this.lastSpeech >= this.silenceWindows) {
      const was = this.state;
      this.state = "silence";
      return was === "speech" ? { type: "stopped", end: this.lastSpeech + 1 } : { type: "none" };
    }
    if (this.state === "candidate" && this.speechWindows >= this.minSpeechWindows) {
      this.state = "speech";
      return { type: "started", onset: this.onset };
    }
    return { type: "none" };
  }

  /** A forced cut (the utterance reached its longest): the turn goes on from `index`. */
  restartAt(index: number): void {
    this.onset = index;
    this.lastSpeech = Math.max(this.lastSpeech, index);
  }

  reset(): void {
    this.state = "silence";
    this.speechWindows = 0;
  }
}
