// Does a process keep its speed for life? Starts several `sona serve` processes the same way, with
// the tiny synthetic model, and sends them the same 30 s clip in rounds (order shuffled each round),
// one inference thread so that ggml's spinning barriers add no noise of their own:
//   bun bench/process-spread.ts [--servers 4] [--rounds 4] [--threads 1]
// If a server's requests are all slower (or faster) than the others', the difference belongs to the
// process, not to the moment: then one long-lived server is one draw, and a comparison against a
// tool that starts a new process per run needs a new server per run too (rows 1-2, ANALYSIS.md).
// Each round also times one fresh process (a server started for that one request).
import { syntheticSpeech, wavBytes } from "../test/helpers/audio.ts";
import { MODELS_DIR } from "../test/helpers/server.ts";
import { SONA_KIND, spawnSona, type SonaProcess } from "../test/helpers/sona-process.ts";
import { stopProcess } from "./support/proc.ts";
import { ask, sonaFields } from "./support/servers.ts";
import { fmt, summarize } from "./support/stats.ts";

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const SERVERS = arg("servers", 4);
const ROUNDS = arg("rounds", 4);
const THREADS = arg("threads", 1);
const MODEL = `${MODELS_DIR}/synth-tiny.en.bin`;
const clip = new Blob([wavBytes(syntheticSpeech(30))], { type: "audio/wav" });

async function inferenceMs(sona: SonaProcess): Promise<number> {
  const reply = await ask({ name: "sona serve", url: `${sona.base}/v1/audio/transcriptions`, fields: sonaFields(THREADS) }, clip);
  if (reply.inferenceMs === undefined) throw new Error("no inference time in Server-Timing");
  return reply.inferenceMs;
}

const stop = (sona: SonaProcess) => stopProcess(sona.proc);

const names = [...Array.from({ length: SERVERS }, (_, i) => `server ${i + 1}`), "fresh process"];
const servers: SonaProcess[] = [];
const times = new Map<string, number[]>(names.map((n) => [n, []]));
try {
  for (let i = 0; i < SERVERS; i++) {
    servers.push(await spawnSona([MODEL, "--port", "0"]));
    await inferenceMs(servers[i]!); // untimed first request
  }
  console.error(`process-spread: ${SONA_KIND}, ${SERVERS} servers started in this order, ${ROUNDS} rounds, ${THREADS} thread(s), 30 s clip`);
  for (let r = 0; r < ROUNDS; r++) {
    const order = [...names].sort(() => Math.random() - 0.5);
    for (const name of order) {
      const i = names.indexOf(name);
      let ms: number;
      if (i < SERVERS) ms = await inferenceMs(servers[i]!);
      else {
        const fresh = await spawnSona([MODEL, "--port", "0"]);
        ms = await inferenceMs(fresh).finally(() => stop(fresh));
      }
      times.get(name)!.push(ms);
    }
    console.error(`  round ${r + 1}: ${names.map((n) => `${n} ${fmt(times.get(n)!.at(-1)!)}`).join(", ")}`);
  }
} finally {
  for (const s of servers) await stop(s);
}

// each run against the median of all processes in its round: the machine's drift cancels out
const roundMedian = (r: number) => summarize(names.map((n) => times.get(n)![r]!)).median;
console.log("| process | inference, ms: median (min–max) | against its round's median: median (min–max) |");
console.log("|---|---|---|");
for (const n of names) {
  const t = summarize(times.get(n)!);
  const rel = summarize(times.get(n)!.map((ms, r) => ms / roundMedian(r)));
  console.log(`| ${n} | ${fmt(t.median)} (${fmt(t.min)}–${fmt(t.max)}) | ${fmt(rel.median, 3)} (${fmt(rel.min, 3)}–${fmt(rel.max, 3)}) |`);
}
