// The TypeScript client: spawn `sona serve`, load a model, transcribe, stream, stop.
//
//   bun examples/client.ts [model] [audio.wav]
//   Node 20: bun build examples/client.ts --target=node --outfile=dist/client-example.mjs && node dist/client-example.mjs
//
// Without arguments it uses the synthetic micro model (models/synth-micro.en.bin, made by
// `bun scripts/make-test-model.ts`) and a generated tone. That model has random weights: its
// "words" (t35379, …) are meaningless placeholders. The binary: $SONA_BINARY, else this repo's
// dist/sona, else scripts/sona-dev (Bun running src/main.ts, before `npm run build`). From another project: import { spawnSona } from "sona/client".
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { spawnSona, SonaClientError } from "../src/client/index.ts";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const synthetic = join(root, "models", "synth-micro.en.bin");

/** A 16 kHz mono 16-bit WAV of a warbling tone: enough to exercise the pipeline. */
function toneWav(seconds = 3): string {
  const n = seconds * 16000;
  const bytes = new Uint8Array(44 + n * 2);
  const v = new DataView(bytes.buffer);
  const ascii = (at: number, s: string) => [...s].forEach((c, i) => v.setUint8(at + i, c.charCodeAt(0)));
  ascii(0, "RIFF"); v.setUint32(4, 36 + n * 2, true); ascii(8, "WAVEfmt ");
  v.setUint32(16, 16, true); v.setUint16(20, 1, true); v.setUint16(22, 1, true); v.setUint32(24, 16000, true);
  v.setUint32(28, 32000, true); v.setUint16(32, 2, true); v.setUint16(34, 16, true); ascii(36, "data"); v.setUint32(40, n * 2, true);
  for (let i = 0; i < n; i++) {
    const t = i / 16000;
    v.setInt16(44 + i * 2, Math.round(0.3 * (0.5 + 0.5 * Math.sin(8 * Math.PI * t)) * Math.sin(440 * Math.PI * t) * 32767), true);
  }
  const path = join(mkdtempSync(join(tmpdir(), "sona-example-")), "tone.wav");
  writeFileSync(path, bytes);
  return path;
}

const model = process.argv[2] ?? synthetic;
const audio = process.argv[3] ?? toneWav();
const dist = join(root, "dist", "sona");
const binary = process.env.SONA_BINARY ?? (existsSync(dist) ? dist : join(root, "scripts", "sona-dev"));
// a random model fails every window and would retry each at higher temperatures: skip that
const fields = model === synthetic ? { no_fallback: true } : {};
if (model === synthetic) console.error("note: synthetic model with random weights; its words are meaningless\n");

{
  await using sona = await spawnSona({ binary }); // stopped (SIGTERM) when the block ends
  console.log("ready line:", sona.info);
  console.log("load:", await sona.client.loadModel(model));
  console.log("json:", await sona.client.transcribe(audio, { fields }));
  console.log(`vtt:\n${await sona.client.transcribe(audio, { responseFormat: "vtt", fields })}`);
  for await (const event of sona.client.transcribeStream(audio, { fields })) {
    if (event.type === "progress") console.log(`progress ${event.progress}%`);
    else if (event.type === "segment") console.log(`[${event.start}s → ${event.end}s]${event.text}`);
    else if (event.type === "queued") console.log(`waiting for a slot: ${event.position} in line`);
    else console.log("result:", event.text, `(${event.language}, ${event.duration}s)`);
  }
  try {
    await sona.client.transcribe(audio, { responseFormat: "docx" as "json" });
  } catch (e) {
    if (!(e instanceof SonaClientError)) throw e;
    console.log(`error: status=${e.status} code=${e.code} param=${e.param}`);
  }
}
