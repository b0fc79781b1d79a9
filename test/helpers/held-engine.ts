// A fake engine whose transcriptions wait until the test lets them finish, in the order they
// started: for tests of slots, queues and busy answers that must not depend on timing.
import type { DecodeOptions, TranscribeHooks, TranscriptResult } from "../../src/engine/index.ts";
import { FakeEngine } from "../fake-engine.ts";

export class HeldEngine extends FakeEngine {
  /** each transcription's prompt, as it started */
  readonly started: string[] = [];
  active = 0;
  maxRunning = 0;
  private readonly held: Array<() => void> = [];

  /** `progress`: reported as each transcription starts to wait (sets the server's Retry-After) */
  constructor(private readonly progress?: number) {
    super();
  }

  override async transcribe(samples: Float32Array, options: DecodeOptions, hooks: TranscribeHooks = {}): Promise<TranscriptResult> {
    this.started.push(options.prompt ?? "?");
    this.maxRunning = Math.max(this.maxRunning, ++this.active);
    try {
      if (this.progress !== undefined) hooks.onEvent?.({ type: "progress", progress: this.progress });
      await new Promise<void>((resolve, reject) => {
        this.held.push(resolve);
        hooks.signal?.addEventListener("abort", () => reject(new Error("aborted")), { once: true });
      });
      return await super.transcribe(samples, options, hooks);
    } finally {
      this.active--;
    }
  }

  /** lets the oldest held transcription finish (waiting for one to be held) */
  async finish(): Promise<void> {
    while (this.held.length === 0) await Bun.sleep(5);
    this.held.shift()!();
  }

  async whenRunning(n = 1): Promise<void> {
    while (this.active < n) await Bun.sleep(5);
  }
}
