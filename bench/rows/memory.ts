// Row 7: memory. (a) Peak RSS of `sona transcribe` on an hour of 16 kHz audio with the micro model,
// against 1.3 × the decoded samples + 150 MB. (b) RSS of `sona serve` after 200 sequential requests
// against after 10 (a leak per request shows as growth).
import type { BenchContext } from "../support/context.ts";
import { timedOk } from "../support/proc.ts";
import { figure, value, type Figure, type RowResult } from "../support/report.ts";
import { ask, startSonaServer, startWhisperServer, type RunningServer } from "../support/servers.ts";
import { fmt, summarize } from "../support/stats.ts";

async function rssGrowth(ctx: BenchContext, server: RunningServer, file: Blob, total: number, early: number): Promise<{ ready: number; early: number; late: number; hwm: number }> {
  const ready = server.memory().rss;
  let earlyRss = NaN;
  for (let i = 1; i <= total; i++) {
    await ask(server, file);
    if (i === early) earlyRss = server.memory().rss;
    if (i % 50 === 0) ctx.log(`  ${server.name}: ${i} requests, RSS ${fmt(server.memory().rss / 1e6, 1)} MB`);
  }
  // let a collection run so garbage that would go anyway is not counted as growth
  await Bun.sleep(200);
  const m = server.memory();
  return { ready, early: earlyRss, late: m.rss, hwm: m.hwm };
}

export async function memoryRow(ctx: BenchContext): Promise<RowResult> {
  const fx = ctx.fixtures;
  const micro = ctx.models.micro;
  const figures: Figure[] = [];
  const notes: string[] = [];
  const runs = Number(process.env.BENCH_MEMORY_RUNS ?? Math.min(ctx.runs, 2));

  // (a) one-shot transcription of the long file
  const samplesBytes = fx.hourSeconds * 16000 * 4;
  const limit = 1.3 * samplesBytes + 150e6;
  const args = [...ctx.sona.cmd, "transcribe", micro, fx.hour16, "--no-fallback", "--threads", String(ctx.threads), "--beam-size", "1", "--best-of", "1", "-f", "json"];
  const peaks: number[] = [], walls: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = await timedOk(args);
    peaks.push(t.maxRss);
    walls.push(t.ms);
    ctx.log(`  transcribe #${i + 1}: peak RSS ${fmt(t.maxRss / 1e6)} MB in ${fmt(t.ms / 1000, 1)} s`);
  }
  const cli = await timedOk([ctx.whisperCli, "-m", micro, "-f", fx.hour16, "-t", String(ctx.threads), "-nf", "-bs", "1", "-bo", "1"]);
  const peak = summarize(peaks);
  figures.push(
    value("decoded samples (16 kHz mono f32)", `${fmt(samplesBytes / 1e6, 1)} MB; limit 1.3 × that + 150 MB = ${fmt(limit / 1e6, 1)} MB`),
    figure(`${ctx.sona.kind} transcribe: peak RSS`, summarize(peaks.map((b) => b / 1e6)), "MB", 1),
    figure(`${ctx.sona.kind} transcribe: wall`, summarize(walls.map((ms) => ms / 1000)), "s", 1),
    value("whisper-cli, same file and parameters: peak RSS / wall (reference, 1 run)", `${fmt(cli.maxRss / 1e6, 1)} MB / ${fmt(cli.ms / 1000, 1)} s`),
  );

  // (b) the server across many requests
  const file = new Blob([await Bun.file(fx.clip10).arrayBuffer()], { type: "audio/wav" });
  const total = ctx.quick ? 40 : 200, early = 10;
  let growth = NaN;
  const sona = await startSonaServer(ctx, micro);
  try {
    const g = await rssGrowth(ctx, sona, file, total, early);
    growth = g.late - g.early;
    figures.push(
      value("sona serve RSS: at ready / after 10 / after " + total + " requests", `${fmt(g.ready / 1e6, 1)} / ${fmt(g.early / 1e6, 1)} / ${fmt(g.late / 1e6, 1)} MB (peak ${fmt(g.hwm / 1e6, 1)} MB)`),
      value(`sona serve RSS growth, request 10 → ${total}`, `${fmt(growth / 1e6, 2)} MB`),
    );
  } finally {
    await sona.stop();
  }
  const ws = await startWhisperServer(ctx, micro);
  try {
    const g = await rssGrowth(ctx, ws, file, total, early);
    figures.push(value("whisper-server RSS (reference): at ready / after 10 / after " + total, `${fmt(g.ready / 1e6, 1)} / ${fmt(g.early / 1e6, 1)} / ${fmt(g.late / 1e6, 1)} MB`));
  } finally {
    await ws.stop();
  }
  notes.push(
    `Peak RSS is the process's VmHWM (polled from /proc every 20 ms), ${runs} run(s); the hour of audio is a ${fmt((fx.hourSeconds * 32000) / 1e6)} MB 16 kHz mono s16 WAV decoded in process (no ffmpeg child).`,
    `Server: ${total} sequential requests with the 10 s clip, micro model; VmRSS from /proc/<pid>/status, the last one 200 ms after the last reply.`,
  );
  const pass = peak.max <= limit && growth < 10e6;
  return {
    id: 7,
    title: `memory: peak RSS transcribing ${fx.hourSeconds === 3600 ? "1 h" : `${fx.hourSeconds} s`} of 16 kHz (micro); server RSS after ${total} vs 10 requests`,
    goal: "peak ≤ 1.3 × decoded samples + 150 MB; growth < 10 MB",
    result: `peak ${fmt(peak.median / 1e6)} MB (limit ${fmt(limit / 1e6)} MB); growth ${fmt(growth / 1e6, 1)} MB`,
    verdict: pass ? "pass" : "fail",
    figures,
    notes,
  };
}
