// Rows 12 and 13: `sona serve --parallel N`. Row 12: throughput of 8 concurrent 30 s requests
// (all accepted through --queue 8) with one slot and all the cores against N slots sharing them
// (src/engine/defaults.ts slotThreads), tiny-dimension model, as ratios in one run. Row 13: the
// memory each extra slot costs (its whisper_state) against a second process (weights again), for
// the tiny-dimension model (after load and after N concurrent transcriptions) and a large-v3-sized
// synthetic model (after load only: decoding it is minutes per request on a small machine).
import { join } from "node:path";
import { writeModel } from "../../scripts/make-test-model.ts";
import type { BenchContext } from "../support/context.ts";
import { MiB } from "../support/proc.ts";
import { figure, value, type Figure, type RowResult } from "../support/report.ts";
import { ask, sonaFields, startSonaServer, type RunningServer } from "../support/servers.ts";
import { fmt, interleave, pairRatios, summarize } from "../support/stats.ts";

const CONCURRENT = 8;

/** 1, 2 and, on machines with the cores for it, 4 slots */
const slotCounts = (cores: number) => [1, 2, ...(cores >= 8 ? [4] : [])];

/** the bench's fields without n_threads: each server shares its cores out among its slots */
function slotFields(ctx: BenchContext): Record<string, string> {
  const { n_threads: _, ...fields } = sonaFields(ctx.threads);
  return fields;
}

export async function throughputRow(ctx: BenchContext): Promise<RowResult> {
  const cores = navigator.hardwareConcurrency;
  const counts = slotCounts(cores);
  const clip = Bun.file(ctx.fixtures.clip30);
  const file = new Blob([await clip.arrayBuffer()]);
  const servers = new Map<number, RunningServer>();
  try {
    for (const n of counts) {
      const s = await startSonaServer(ctx, ctx.models.tiny, ["--parallel", String(n), "--queue", String(CONCURRENT), "--queue-timeout", "1h"]);
      servers.set(n, { ...s, fields: slotFields(ctx) });
    }
    const burst = async (server: RunningServer) => {
      const t0 = performance.now();
      await Promise.all(Array.from({ length: CONCURRENT }, () => ask(server, file)));
      return performance.now() - t0;
    };
    // warm-up: one request on each (first-touch costs of the weights and each slot's state)
    for (const s of servers.values()) await ask(s, file);
    const res = await interleave<number>(
      ctx.runs,
      counts.map((n) => ({ name: String(n), run: () => burst(servers.get(n)!) })),
      (n, i, ms) => ctx.log(`  #${i + 1} --parallel ${n}: ${CONCURRENT} requests in ${Math.round(ms)} ms`),
    );
    const audio = CONCURRENT * 30;
    const figures: Figure[] = counts.map((n) => {
      const threads = n === 1 ? Math.min(8, cores) : Math.max(1, Math.min(8, Math.floor(cores / n)));
      return figure(`--parallel ${n} (${threads} thread${threads > 1 ? "s" : ""} each): wall ms for ${CONCURRENT} × 30 s`, summarize(res[String(n)]!), "ms");
    });
    for (const n of counts.slice(1)) {
      figures.push(figure(`throughput ratio --parallel ${n} / --parallel 1 (per iteration)`, summarize(pairRatios(res["1"]!, res[String(n)]!)), "", 3));
    }
    const medians = counts.map((n) => summarize(res[String(n)]!).median);
    const best = counts[medians.indexOf(Math.min(...medians))]!;
    return {
      id: 12,
      title: `throughput, ${CONCURRENT} concurrent 30 s requests: --parallel ${counts.join(" / ")} on ${cores} cores`,
      goal: "find the best setting for this machine (the documented recommendation)",
      result: `best: --parallel ${best} (${counts.map((n, i) => `${n}: ${fmt(audio / (medians[i]! / 1000), 1)} s of audio per s`).join(", ")})`,
      verdict: "recorded",
      figures,
      notes: [`sona serve --parallel N --queue ${CONCURRENT}, tiny-dimension model, greedy, no fallback; the ${CONCURRENT} requests sent at once, ${ctx.runs} interleaved runs.`],
    };
  } finally {
    for (const s of servers.values()) await s.stop();
  }
}

async function rssWith(ctx: BenchContext, model: string, slots: number, file: Blob | null): Promise<{ loaded: number; used: number | null }> {
  const server = await startSonaServer(ctx, model, ["--parallel", String(slots)]);
  try {
    const loaded = server.memory().rss;
    if (!file) return { loaded, used: null };
    const fields = slotFields(ctx);
    await Promise.all(Array.from({ length: slots }, () => ask({ ...server, fields }, file)));
    return { loaded, used: server.memory().rss };
  } finally {
    await server.stop();
  }
}

export async function slotMemoryRow(ctx: BenchContext): Promise<RowResult> {
  const large = join(ctx.fixtures.dir, "synth-large-dims.bin");
  // large-v3's dimensions, f16, its tensor data left as holes: real sizes at no generation cost
  await writeModel(large, {
    sparse: true,
    multilingual: true,
    hparams: { nVocab: 51866, nAudioState: 1280, nAudioHead: 20, nAudioLayer: 32, nTextState: 1280, nTextHead: 20, nTextLayer: 32, nMels: 128 },
  });
  const clip = new Blob([await Bun.file(ctx.fixtures.clip10).arrayBuffer()]);
  const figures: Figure[] = [];
  const parts: string[] = [];
  for (const [name, model, file] of [["tiny dims", ctx.models.tiny, clip], ["large-v3 dims", large, null]] as const) {
    const one = await rssWith(ctx, model, 1, file);
    const two = await rssWith(ctx, model, 2, file);
    const key = file ? "used" : "loaded";
    const perSlot = (two[key]! - one[key]!) / MiB;
    figures.push(value(`${name}: RSS after load, 1 / 2 slots`, `${fmt(one.loaded / MiB)} / ${fmt(two.loaded / MiB)} MiB`));
    if (file) figures.push(value(`${name}: RSS after 1 / 2 concurrent 10 s requests`, `${fmt(one.used! / MiB)} / ${fmt(two.used! / MiB)} MiB`));
    figures.push(value(`${name}: 2 slots against 2 processes (${key})`, `${fmt(two[key]! / MiB)} against ${fmt((2 * one[key]!) / MiB)} MiB`));
    parts.push(`${name}: +${fmt(perSlot)} MiB per extra slot (a second process: +${fmt(one[key]! / MiB)} MiB)`);
  }
  return {
    id: 13,
    title: "memory per extra slot (--parallel 2 against 1), tiny dims and large-v3 dims",
    goal: "record it; far below a second process",
    result: parts.join("; "),
    verdict: "recorded",
    figures,
    notes: ["RSS from /proc/<pid>/status. The large-dims model is synthetic with zero weights (a sparse file), measured after load only."],
  };
}
