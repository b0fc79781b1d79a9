// A live transcription session: 16 kHz mono f32 chunks in, typed events out (events.ts). Input is
// handled strictly in order by one loop (audio, commits and clears queue behind each other), so
// the same audio and chunking give the same turns at any pace: turns come from the stream's Silero
// probabilities (turns.ts), and partials fall due by the audio's clock, not the wall's. What a due
// partial does depends on the sender. Live audio (arriving at about real time): the partial decodes
// beside the audio, a due partial is skipped while the last one still decodes, and a partial still
// decoding when its turn ends is cancelled, so previews never make the decoder fall behind and the
// final text never waits behind one. Audio sent ahead of real time (a file, a backlog): nobody
// watches the previews live, so every due partial is decoded in line, which gives the same events
// for the same input however fast the machine is. Decoding is the ordinary engine.transcribe.
// Memory: the open utterance (at most maxUtteranceS) and a pre-roll, plus input not yet handled
// (refused past maxBacklogS).
import type { DecodeOptions, Engine, SpeechStream } from "../engine/index.ts";
import { SonaError } from "../errors.ts";
import { SAMPLE_RATE, seconds, StreamBuffer, VAD_WINDOW_SAMPLES } from "./audio.ts";
import { PARTIAL_INTERVAL, type LiveEvent, type PartialMode } from "./events.ts";
import { TurnDetector, type TurnOptions } from "./turns.ts";

export interface LiveSessionOptions {
  engine: Engine;
  /** a validated Silero file (src/vad/model.ts) */
  vadModelPath: string;
  /** what every decode uses; `prompt` is the caller's, put before the committed text's tail */
  decode: DecodeOptions;
  /** null: no turn detection, the caller commits (OpenAI's turn_detection: null) */
  turns: TurnOptions | null;
  /** audio kept before a turn's first speech and decoded with it (OpenAI's prefix_padding_ms) */
  prefixPaddingMs?: number;
  partialMode?: PartialMode;
  partialIntervalMs?: number;
  /** an utterance is cut here and the speech goes on in the next one */
  maxUtteranceS?: number;
  onEvent: (event: LiveEvent) => void;
}

export const MAX_UTTERANCE_S = 25;
/** the committed text's tail the next utterance is prompted with */
export const PROMPT_TAIL_CHARS = 200;
/** partials are skipped while this much input waits (the loop is behind; the final text matters more) */
const PARTIAL_BACKLOG_S = 30;
/** a sender whose audio so far exceeds AHEAD.factor × its wall time + AHEAD.slackS is ahead of real time */
const AHEAD = { factor: 1.5, slackS: 1 } as const;
/** input beyond this much waiting is refused with an error event */
export const MAX_BACKLOG_S = 300;

type Input =
  | { kind: "audio"; samples: Float32Array }
  | { kind: "commit" }
  | { kind: "clear" }
  | { kind: "finish" | "handled"; done: () => void };

interface Open {
  id: number;
  /** stream positions (samples): where its speech began, and where its decoded audio begins */
  onset: number;
  from: number;
  lastPartialAt: number;
}

/** a partial decoding beside the audio */
interface Preview {
  cancel: AbortController;
  /** settles (never rejects) once its event is out, or it failed or was cancelled */
  done: Promise<void>;
}

export class LiveSession {
  private readonly queue: Input[] = [];
  private pending = 0;
  private running = false;
  private closed = false;
  private readonly abort = new AbortController();
  private readonly buffer = new StreamBuffer();
  private carry = new Float32Array(0);
  private readonly turns: TurnDetector | null;
  private window = 0;
  /** the session's own detector state in the engine, opened with the first audio */
  private speech: SpeechStream | null = null;
  private open: Open | null = null;
  private nextId = 0;
  private committedText = "";
  private lastDecodeMs = 0;
  private preview: Preview | null = null;
  /** the sender's pace: audio received (samples) since the wall time of the first */
  private received = 0;
  private firstReceivedAt = 0;
  private readonly prefix: number;
  private readonly maxUtterance: number;

  constructor(private readonly o: LiveSessionOptions) {
    this.turns = o.turns ? new TurnDetector(o.turns) : null;
    this.prefix = Math.round(((o.prefixPaddingMs ?? 300) / 1000) * SAMPLE_RATE);
    this.maxUtterance = Math.round((o.maxUtteranceS ?? MAX_UTTERANCE_S) * SAMPLE_RATE);
  }

  /** Queues 16 kHz mono samples (the caller's array is not kept). */
  push(samples: Float32Array): void {
    if (this.closed || samples.length === 0) return;
    if (this.pending + samples.length > MAX_BACKLOG_S * SAMPLE_RATE) {
      this.emit({ type: "error", error: new SonaError("invalid_request", `audio arrives faster than it can be transcribed: more than ${MAX_BACKLOG_S} s wait; ${seconds(samples.length)} s dropped`) });
      return;
    }
    this.pending += samples.length;
    if (this.received === 0) this.firstReceivedAt = performance.now();
    this.received += samples.length;
    this.enqueue({ kind: "audio", samples: samples.slice() });
  }

  /** Closes the open utterance now (manual turns, or ahead of the VAD). */
  commit(): void {
    this.enqueue({ kind: "commit" });
  }

  /** Drops the open utterance's audio. */
  clear(): void {
    this.enqueue({ kind: "clear" });
  }

  /** Handles everything queued, commits an open utterance, and resolves when its text is out. */
  finish(): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise((done) => this.enqueue({ kind: "finish", done }));
  }

  /** Resolves when everything queued so far is handled (a sender that wants to keep pace waits here). */
  handled(): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise((done) => this.enqueue({ kind: "handled", done }));
  }

  /** Stops at once: a running decode is aborted, queued input dropped, no more events. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.abort.abort(new SonaError("aborted", "live session closed"));
    this.speech?.close();
    for (const item of this.queue.splice(0)) if ("done" in item) item.done();
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** samples of input waiting to be handled (the session is behind by this much) */
  get pendingSamples(): number {
    return this.pending;
  }

  /** samples of audio memory the session holds now (the open utterance's buffer and the input waiting) */
  get heldSamples(): number {
    return this.buffer.capacity + this.pending;
  }

  private enqueue(item: Input): void {
    if (this.closed) return "done" in item ? item.done() : undefined;
    this.queue.push(item);
    if (!this.running) void this.pump();
  }

  private async pump(): Promise<void> {
    this.running = true;
    try {
      while (!this.closed && this.queue.length) {
        const item = this.queue.shift()!;
        if (item.kind === "audio") {
          await this.audio(item.samples);
          this.pending -= item.samples.length;
        } else if (item.kind === "commit") await this.manualCommit();
        else if (item.kind === "clear") await this.drop();
        else if (item.kind === "handled") item.done();
        else {
          await this.flush();
          item.done();
        }
      }
    } catch (err) {
      // the engine failed outside a decode (speech detection): the session cannot go on
      if (!this.closed) this.emit({ type: "error", error: err instanceof SonaError ? err : new SonaError("internal_error", String(err)) });
      this.close();
    } finally {
      this.running = false;
    }
  }

  private async audio(samples: Float32Array): Promise<void> {
    if (!this.turns) {
      this.buffer.append(samples);
      this.open ??= this.openAt(this.buffer.from, this.buffer.from);
      if (this.buffer.to - this.open.from >= this.maxUtterance) await this.finalize(this.buffer.to);
      return;
    }
    // Silero sees whole windows; the rest waits for the next chunk
    const joined = this.carry.length ? concat(this.carry, samples) : samples;
    const whole = joined.length - (joined.length % VAD_WINDOW_SAMPLES);
    this.carry = joined.slice(whole);
    if (whole === 0) return;
    const windows = joined.slice(0, whole);
    this.speech ??= this.o.engine.openSpeechStream(this.o.vadModelPath);
    const probs = await this.speech.probabilities(windows.slice());
    for (let w = 0; w * VAD_WINDOW_SAMPLES < whole && !this.closed; w++) {
      this.buffer.append(windows.subarray(w * VAD_WINDOW_SAMPLES, (w + 1) * VAD_WINDOW_SAMPLES));
      await this.step(this.window++, probs[w] ?? 0);
    }
  }

  /** One 32 ms window: turn changes, the forced cut, a partial when one is due. */
  private async step(index: number, p: number): Promise<void> {
    const turn = this.turns!.step(index, p);
    if (turn.type === "started") {
      const onset = turn.onset * VAD_WINDOW_SAMPLES;
      this.open = this.openAt(onset, Math.max(this.buffer.from, onset - this.prefix));
      this.emit({ type: "speech_started", id: this.open.id, start: seconds(onset) });
    } else if (turn.type === "stopped" && this.open) {
      const end = turn.end * VAD_WINDOW_SAMPLES;
      this.emit({ type: "speech_stopped", id: this.open.id, end: seconds(end) });
      await this.finalize(end);
    } else if (this.open && this.buffer.to - this.open.onset >= this.maxUtterance) {
      // speech that never pauses: cut here, and the turn goes on as the next utterance
      const at = this.buffer.to;
      this.emit({ type: "speech_stopped", id: this.open.id, end: seconds(at) });
      await this.finalize(at);
      this.turns!.restartAt(index + 1);
      this.open = this.openAt(at, at);
      this.emit({ type: "speech_started", id: this.open.id, start: seconds(at) });
    } else if (this.open) {
      await this.maybePartial();
    }
    // nobody speaking: keep only the pre-roll (of the speech that may be about to open a turn)
    if (!this.open) {
      const candidate = this.turns!.candidate;
      this.buffer.dropBefore((candidate === null ? this.buffer.to : candidate * VAD_WINDOW_SAMPLES) - this.prefix);
    }
  }

  private openAt(onset: number, from: number): Open {
    return { id: this.nextId++, onset, from, lastPartialAt: onset };
  }

  private async maybePartial(): Promise<void> {
    const mode = this.o.partialMode ?? "fixed";
    if (mode === "off" || !this.open || this.pending > PARTIAL_BACKLOG_S * SAMPLE_RATE) return;
    const intervalMs = mode === "auto" ? 3 * this.lastDecodeMs : (this.o.partialIntervalMs ?? PARTIAL_INTERVAL.defaultMs);
    const interval = (clamp(intervalMs || PARTIAL_INTERVAL.defaultMs, PARTIAL_INTERVAL.minMs, PARTIAL_INTERVAL.maxMs) / 1000) * SAMPLE_RATE;
    if (this.buffer.to - this.open.lastPartialAt < interval) return;
    const ahead = this.senderAhead();
    if (this.preview) {
      if (!ahead) return; // live: the decoder is still on the last one
      await this.preview.done;
    }
    const u = this.open;
    u.lastPartialAt = this.buffer.to;
    const preview = this.startPreview(u);
    if (ahead) await preview.done;
  }

  private senderAhead(): boolean {
    const wallS = (performance.now() - this.firstReceivedAt) / 1000;
    return this.received / SAMPLE_RATE > AHEAD.factor * wallS + AHEAD.slackS;
  }

  private startPreview(u: Open): Preview {
    const cancel = new AbortController();
    const end = this.buffer.to;
    const done = this.decode(this.buffer.copyFrom(u.from), true, cancel.signal).then(
      (text) => {
        // its turn may have ended while it decoded: then the final text is what counts
        if (this.open === u) this.emit({ type: "partial", id: u.id, start: seconds(u.onset), end: seconds(end), text });
      },
      (err) => {
        if (this.closed || cancel.signal.aborted || (err instanceof SonaError && err.code === "aborted")) return;
        // a preview that fails costs the session nothing: say so, and the final decode goes on
        this.emit({ type: "error", error: err instanceof SonaError ? err : new SonaError("internal_error", String(err)) });
      },
    );
    const preview: Preview = { cancel, done: done.finally(() => { if (this.preview === preview) this.preview = null; }) };
    this.preview = preview;
    return preview;
  }

  /** Cancels a partial still decoding and waits until the engine has let it go. */
  private async stopPreview(): Promise<void> {
    const p = this.preview;
    if (!p) return;
    p.cancel.abort(new SonaError("aborted", "the turn ended"));
    await p.done;
  }

  /** Closes the open utterance at stream position `end` and decodes it. */
  private async finalize(end: number): Promise<void> {
    const u = this.open;
    if (!u) return;
    this.open = null;
    await this.stopPreview();
    const samples = this.buffer.copyFrom(u.from);
    // the next turn's pre-roll may reach back into this one's trailing silence; manual commits cut clean
    this.buffer.keepLast(this.turns ? this.prefix : 0);
    const span = { id: u.id, start: seconds(u.onset), end: seconds(Math.max(end, u.onset)) };
    this.emit({ type: "committed", ...span });
    const decoded = seconds(samples.length); // before the samples move to the engine's worker
    try {
      const text = await this.decode(samples, false);
      if (text) this.committedText = tail(`${this.committedText} ${text}`, PROMPT_TAIL_CHARS * 2);
      this.emit({ type: "utterance", ...span, text, seconds: decoded });
    } catch (err) {
      if (this.closed) return;
      this.emit({ type: "failed", ...span, error: err instanceof SonaError ? err : new SonaError("internal_error", String(err)) });
    }
  }

  private async manualCommit(): Promise<void> {
    const held = this.open ? this.buffer.to - this.open.from : 0;
    if (!this.open || held < SAMPLE_RATE / 10) {
      this.emit({ type: "error", error: new SonaError("invalid_request", `nothing to commit: the buffer holds ${seconds(held) * 1000} ms of speech; 100 ms is the least`) });
      return;
    }
    if (this.turns?.speaking) {
      this.emit({ type: "speech_stopped", id: this.open.id, end: seconds(this.buffer.to) });
      this.turns.reset();
    }
    await this.finalize(this.buffer.to);
  }

  private async drop(): Promise<void> {
    this.open = null;
    await this.stopPreview();
    this.turns?.reset();
    this.buffer.keepLast(0);
    this.emit({ type: "cleared" });
  }

  private async flush(): Promise<void> {
    if (this.carry.length) {
      this.buffer.append(this.carry);
      this.carry = new Float32Array(0);
    }
    if (!this.open) return;
    if (this.turns?.speaking) this.emit({ type: "speech_stopped", id: this.open.id, end: seconds(this.buffer.to) });
    this.turns?.reset();
    await this.finalize(this.buffer.to);
  }

  /** A partial is greedy only (no temperature fallback): it is soon decoded again anyway. */
  private async decode(samples: Float32Array, partial: boolean, cancel?: AbortSignal): Promise<string> {
    const t0 = performance.now();
    const prompt = [this.o.decode.prompt, tail(this.committedText, PROMPT_TAIL_CHARS)].filter(Boolean).join(" ") || undefined;
    // an utterance (≤ 25 s) fits one window: one pass, whatever timestamps the model emits inside it
    const options = { ...this.o.decode, prompt, vad: undefined, singleSegment: true, noFallback: partial || this.o.decode.noFallback };
    const signal = cancel ? AbortSignal.any([this.abort.signal, cancel]) : this.abort.signal;
    const result = await this.o.engine.transcribe(samples, options, { signal });
    this.lastDecodeMs = performance.now() - t0;
    return result.segments.map((s) => s.text).join("").trim();
  }

  private emit(event: LiveEvent): void {
    if (!this.closed) this.o.onEvent(event);
  }
}

function concat(a: Float32Array, b: Float32Array): Float32Array {
  const out = new Float32Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/** The last `n` characters of `text`, starting at a word. */
export function tail(text: string, n: number): string {
  const t = text.trim();
  if (t.length <= n) return t;
  const cut = t.slice(-n);
  const space = cut.indexOf(" ");
  return (space >= 0 ? cut.slice(space + 1) : cut).trim();
}

const clamp = (x: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, x));
