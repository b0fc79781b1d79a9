// Row 3: `sona serve` against whisper-server. Sequential requests on the same 10 s clip with the
// same parameters, in blocks that alternate between the servers; throughput is requests per second
// of a block, compared block by block. Sona's overhead is the client's wall time minus the
// inference time Sona reports in its Server-Timing header.
import type { BenchContext } from "../support/context.ts";
import { figure, value, type Figure, type RowResult } from "../support/report.ts";
import { ask, startSonaServer, startWhisperServer, textOf, type Reply, type RunningServer } from "../support/servers.ts";
import { fmt, interleave, pairRatios, percentile, summarize } from "../support/stats.ts";

interface Block {
  replies: Reply[];
  /** requests per second over the block */
  throughput: number;
}

async function block(server: RunningServer, file: Blob, k: number): Promise<Block> {
  const replies: Reply[] = [];
  const t0 = performance.now();
  for (let i = 0; i < k; i++) replies.push(await ask(server, file));
  return { replies, throughput: k / ((performance.now() - t0) / 1000) };
}

export async function serverRow(ctx: BenchContext): Promise<RowResult> {
  const file = new Blob([await Bun.file(ctx.fixtures.clip10).arrayBuffer()], { type: "audio/wav" });
  const figures: Figure[] = [];
  const notes: string[] = [];
  const headline: string[] = [];
  let pass = true;
  const setups = [
    { label: "tiny", model: ctx.models.tiny, k: ctx.quick ? 2 : 5 },
    { label: "micro", model: ctx.models.micro, k: ctx.quick ? 5 : 20 },
  ];
  for (const setup of setups) {
    const sona = await startSonaServer(ctx, setup.model);
    let ws: RunningServer | undefined;
    try {
      ws = await startWhisperServer(ctx, setup.model);
      // warm-up: first requests pay for page faults, JIT and allocator growth on both sides
      const first = [await ask(sona, file), await ask(ws, file)];
      await ask(sona, file);
      await ask(ws!, file);
      const same = textOf(first[0]!) === textOf(first[1]!);
      notes.push(`${setup.label}: both servers return ${same ? "the same" : "DIFFERENT"} text for the clip${same ? "" : ` (sona: "${textOf(first[0]!).slice(0, 80)}", whisper-server: "${textOf(first[1]!).slice(0, 80)}")`}.`);
      const blocks = await interleave<Block>(
        ctx.runs,
        [
          { name: "sona", run: () => block(sona, file, setup.k) },
          { name: "ws", run: () => block(ws!, file, setup.k) },
        ],
        (name, i, b) => ctx.log(`  ${setup.label} block ${i + 1} ${name}: ${b.throughput.toFixed(2)} req/s`),
      );
      const s = blocks.sona!, w = blocks.ws!;
      const ratio = summarize(pairRatios(s.map((b) => b.throughput), w.map((b) => b.throughput)));
      const replies = s.flatMap((b) => b.replies);
      const overhead = replies.map((r) => r.ms - (r.inferenceMs ?? NaN));
      const decode = replies.map((r) => r.decodeMs ?? NaN);
      const p50 = percentile(overhead, 50);
      pass &&= ratio.median >= 1.0 && p50 < 10;
      headline.push(`${setup.label}: throughput ratio ${fmt(ratio.median, 3)}, overhead p50 ${fmt(p50, 1)} ms`);
      figures.push(
        figure(`${setup.label}: sona serve throughput (${setup.k}-request blocks)`, summarize(s.map((b) => b.throughput)), "req/s", 2),
        figure(`${setup.label}: whisper-server throughput`, summarize(w.map((b) => b.throughput)), "req/s", 2),
        figure(`${setup.label}: throughput ratio sona / whisper-server (per block pair)`, ratio, "", 3),
        figure(`${setup.label}: sona request wall`, summarize(replies.map((r) => r.ms)), "ms", 1),
        figure(`${setup.label}: whisper-server request wall`, summarize(w.flatMap((b) => b.replies.map((r) => r.ms))), "ms", 1),
        figure(`${setup.label}: sona inference (Server-Timing)`, summarize(replies.map((r) => r.inferenceMs ?? NaN)), "ms", 1),
        figure(`${setup.label}: sona overhead = wall − inference`, summarize(overhead), "ms", 1),
        value(`${setup.label}: sona overhead p50 / p90 / max`, `${fmt(p50, 1)} / ${fmt(percentile(overhead, 90), 1)} / ${fmt(Math.max(...overhead), 1)} ms (n=${overhead.length})`),
        figure(`${setup.label}: of which WAV decode (Server-Timing)`, summarize(decode), "ms", 2),
      );
    } finally {
      await sona.stop();
      await ws?.stop();
    }
  }
  notes.push(
    `Same ${ctx.threads} threads, greedy, best-of 1, no fallback, response_format=json. sona serve: form fields no_fallback, n_threads, beam_size=1, best_of=1. whisper-server: -t ${ctx.threads} -nlp and form fields temperature_inc=0 (its -nf flag is parsed but unused), best_of=1, beam_size=1, token_timestamps=false (its default computes token timestamps for every request).`,
    `Requests are sequential from one client in this process (fetch + multipart, the file in memory); blocks alternate between the servers, ${ctx.runs} blocks each, after two warm-up requests per server. Overhead is everything but whisper_full: upload to a temp file, multipart parsing, WAV decode, hand-over to the worker, JSON, HTTP.`,
  );
  return {
    id: 3,
    title: "`sona serve` vs `whisper-server`, sequential requests, 10 s clip",
    goal: "throughput ratio ≥ 1.0; Sona overhead (wall − inference) p50 < 10 ms",
    result: headline.join("; "),
    verdict: pass ? "pass" : "fail",
    figures,
    notes,
  };
}
