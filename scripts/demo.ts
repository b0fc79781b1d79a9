#!/usr/bin/env bun
// `npm run demo`: transcribes a generated sample with the synthetic micro model, end to end through
// the real CLI. The model's weights are random, so its words are meaningless placeholders: the demo
// shows the pipeline working, not recognition quality.
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { syntheticSpeech, wavBytes } from "../test/helpers/audio.ts";

const root = join(import.meta.dir, "..");
const sample = join(root, "models/sample.wav");
const model = join(root, "models/synth-micro.en.bin");
mkdirSync(join(root, "models"), { recursive: true });

// espeak-ng gives real speech when it is installed; otherwise a speech-like synthetic signal
const spoken = Bun.which("espeak-ng") &&
  Bun.spawnSync(["espeak-ng", "-w", sample, "Hello from Sona, a local speech to text runner."]).exitCode === 0;
if (!spoken || !existsSync(sample)) writeFileSync(sample, wavBytes(syntheticSpeech(4)));

console.error(`sona transcribe ${model} ${sample} -f srt\n`);
const run = Bun.spawnSync([process.execPath, join(root, "src/main.ts"), "transcribe", model, sample, "-f", "srt"], { stdout: "inherit", stderr: "inherit" });
console.error(`
Note: ${model} is a SYNTHETIC model with random weights, made by scripts/make-test-model.ts so that
Sona can be built and tested offline. Its "words" (t12345 ...) are meaningless placeholders.
With a real model:
  bun src/main.ts pull base.en                      # downloads ggml-base.en.bin (142 MiB), checksum-verified
  bun src/main.ts transcribe base.en your-audio.mp3 -f srt
  bun src/main.ts serve base.en                     # OpenAI-compatible API on 127.0.0.1
`);
process.exit(run.exitCode ?? 1);
