// Child process for rows 4 and 5: decodes one file with Sona's decodeAudio in a fresh process, so
// that its time and peak RSS (read by the parent from /proc) are its own, and prints one JSON line.
//   bun bench/children/decode.ts <file> [ffmpeg]
import { decodeAudio } from "../../src/audio/index.ts";

const [path, ffmpegPath] = process.argv.slice(2);
if (!path) {
  console.error("usage: bun bench/children/decode.ts <file> [ffmpeg]");
  process.exit(2);
}
const t0 = performance.now();
const r = await decodeAudio(path, ffmpegPath ? { ffmpegPath } : {});
const ms = performance.now() - t0;
console.log(JSON.stringify({ ms, samples: r.samples.length, format: r.format, sourceRate: r.sourceRate, sourceChannels: r.sourceChannels }));
