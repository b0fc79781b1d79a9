// Row 6: cold start of `sona serve --port 0` to its ready line, without a model and with the micro
// model, and the size of the single binary. "Cold" here is a new process with the binary's embedded
// libraries already unpacked in the cache (every start after the first); the very first start,
// which unpacks them, is measured on its own with an empty XDG_CACHE_HOME.
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import type { BenchContext, Sona } from "../support/context.ts";
import { startUntil } from "../support/proc.ts";
import { figure, value, type Figure, type RowResult } from "../support/report.ts";
import { fmt, interleave, summarize } from "../support/stats.ts";
import { startWhisperServer } from "../support/servers.ts";

async function readyMs(sona: Sona, model: string | null, env?: Record<string, string>): Promise<number> {
  const s = await startUntil([...sona.cmd, "serve", ...(model ? [model] : []), "--port", "0"], /"status":"ready"/, { on: "stdout", env, timeoutMs: 60_000 });
  await s.stop();
  return s.readyMs;
}

export async function startupRow(ctx: BenchContext): Promise<RowResult> {
  const runs = ctx.quick ? ctx.runs : Math.max(ctx.runs, 5);
  const micro = ctx.models.micro;
  const figures: Figure[] = [];
  const notes: string[] = [];
  const size = ctx.binary ? statSync(ctx.binary).size : null;

  const targets: Sona[] = ctx.binary ? [ctx.sona, ctx.sonaDev] : [ctx.sonaDev];
  let headlineNoModel = NaN, headlineMicro = NaN;
  for (const s of targets) {
    await readyMs(s, null); // warm-up (page cache, and the library cache for the binary)
    const res = await interleave<number>(
      runs,
      [
        { name: "none", run: () => readyMs(s, null) },
        { name: "micro", run: () => readyMs(s, micro) },
      ],
      (n, i, ms) => ctx.log(`  ${s.kind} #${i + 1} ${n}: ${Math.round(ms)} ms`),
    );
    const none = summarize(res.none!), withMicro = summarize(res.micro!);
    if (s === targets[0]) {
      headlineNoModel = none.median;
      headlineMicro = withMicro.median;
    }
    figures.push(
      figure(`${s.kind}: no model, spawn → ready line`, none, "ms", 1),
      figure(`${s.kind}: micro model, spawn → ready line`, withMicro, "ms", 1),
    );
  }

  if (ctx.binary) {
    const firsts: number[] = [];
    for (let i = 0; i < Math.min(runs, 3); i++) {
      const cache = mkdtempSync(join(ctx.fixtures.dir, "xdg-"));
      try {
        firsts.push(await readyMs(ctx.sona, null, { XDG_CACHE_HOME: cache }));
      } finally {
        rmSync(cache, { recursive: true, force: true });
      }
    }
    figures.push(figure(`${ctx.sona.kind}: very first start (empty cache: unpacks the libraries), no model`, summarize(firsts), "ms", 1));
  }

  const ws: number[] = [];
  for (let i = 0; i < runs; i++) {
    const w = await startWhisperServer(ctx, micro);
    ws.push(w.readyMs);
    await w.stop();
  }
  figures.push(figure("whisper-server, micro model, spawn → /health answers (reference)", summarize(ws), "ms", 1));

  if (size !== null) figures.push(value("binary size (dist/sona)", `${fmt(size / 1e6, 1)} MB (${size} bytes)`));
  else notes.push("dist/sona is not built (scripts/build.ts failed or was skipped): start-up was measured in dev mode only and the size is unknown.");
  notes.push(
    "Time from spawn to the moment the bench reads the ready line on the child's stdout; the process is then stopped with SIGTERM. Runs alternate between no model and the micro model.",
    "Dev mode (`bun src/main.ts`) is listed for reference: it transpiles TypeScript at start.",
  );
  const pass = ctx.binary !== null && headlineNoModel < 150 && size !== null && size <= 125e6;
  return {
    id: 6,
    title: "cold start `sona serve --port 0` to the ready line; binary size",
    goal: "< 150 ms without a model; ≤ 125 MB",
    result: `${fmt(headlineNoModel, 1)} ms without a model, ${fmt(headlineMicro, 1)} ms with micro (${ctx.sona.kind}); ${size === null ? "size n/a" : `${fmt(size / 1e6, 1)} MB`}`,
    verdict: pass ? "pass" : "fail",
    figures,
    notes,
  };
}
