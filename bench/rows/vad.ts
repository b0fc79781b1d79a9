// Rows 10 and 11: speech detection (issue 12), on espeak-ng speech alternating with as much silence.
// Row 10: the VAD pass alone: Sona's (the engine's vadMs) over an hour, against whisper-cli --vad's
//   own "vad time" on a 10-minute piece of the same audio (whisper-cli would then transcribe half an
//   hour of speech, so `-d 1000` stops its decoding after a second).
// Row 11: end to end on a 10-minute half-silent file, tiny-dimension model: `sona transcribe --vad`
//   against stock `whisper-cli --vad`, and against `sona transcribe` without VAD.
import { join } from "node:path";
import { WhisperEngine } from "../../src/engine/index.ts";
import { VENDORED_VAD_PATH } from "../../src/vad/model.ts";
import { DEFAULT_VAD_PARAMS } from "../../src/vad/params.ts";
import type { BenchContext } from "../support/context.ts";
import { loadSamples } from "../support/engine.ts";
import { type Pcm, readPcm, writeTiled } from "../support/fixtures.ts";
import { timedOk } from "../support/proc.ts";
import { figure, type RowResult } from "../support/report.ts";
import { fmt, interleave, pairRatios, summarize } from "../support/stats.ts";
import { stockWhisperCli } from "../support/stock-whisper-cli.ts";

/** The 30-s speech clip followed by 30 s of silence, tiled to `seconds`. */
function halfSilent(ctx: BenchContext, name: string, seconds: number): string {
  const speech = readPcm(ctx.fixtures.clip30);
  const piece: Pcm = { rate: speech.rate, channels: 1, data: new Int16Array(speech.data.length * 2) };
  piece.data.set(speech.data);
  const path = join(ctx.fixtures.dir, name);
  writeTiled(path, piece, seconds);
  return path;
}

const vadArgs = ["--vad", "-vm", VENDORED_VAD_PATH];

/** whisper-cli's own measure of its VAD pass ("vad time = X ms"), in ms. */
async function cliVadMs(cli: string, model: string, file: string, threads: number): Promise<number> {
  const t = await timedOk([cli, "-m", model, "-f", file, "-t", String(threads), "-nf", "-bs", "1", "-bo", "1", "-d", "1000", ...vadArgs]);
  const m = /vad time = ([\d.]+) ms/.exec(t.stderr);
  if (!m) throw new Error(`${cli}: no "vad time" line in its log`);
  return Number(m[1]);
}

export async function vadPassRow(ctx: BenchContext): Promise<RowResult> {
  const hourSeconds = ctx.quick ? 300 : 3600;
  const hour = halfSilent(ctx, "vad-hour.wav", hourSeconds);
  const tenSeconds = ctx.quick ? 60 : 600;
  const ten = halfSilent(ctx, "vad-ten.wav", tenSeconds);
  const stock = stockWhisperCli(ctx.root, ctx.log);
  const engine = new WhisperEngine();
  const params = { modelPath: VENDORED_VAD_PATH, params: DEFAULT_VAD_PARAMS };
  try {
    const hourSamples = await loadSamples(hour);
    const tenSamples = await loadSamples(ten);
    await engine.detectSpeech(tenSamples.slice(), params); // the model's load is not part of a pass
    const sonaHour = await interleave<number>(ctx.runs, [{ name: "sona", run: async () => (await engine.detectSpeech(hourSamples.slice(), params)).vadMs }], (_, i, ms) =>
      ctx.log(`  #${i + 1} sona VAD, ${hourSeconds} s: ${Math.round(ms)} ms`),
    );
    const runs = Math.min(ctx.runs, 3);
    const res = await interleave<number>(
      runs,
      [
        { name: "sona", run: async () => (await engine.detectSpeech(tenSamples.slice(), params)).vadMs },
        { name: "stock", run: () => cliVadMs(stock, ctx.models.micro, ten, ctx.threads) },
        { name: "ours", run: () => cliVadMs(ctx.whisperCli, ctx.models.micro, ten, ctx.threads) },
      ],
      (n, i, ms) => ctx.log(`  #${i + 1} ${n} VAD, ${tenSeconds} s: ${Math.round(ms)} ms`),
    );
    const hourMs = summarize(sonaHour.sona!);
    const perHour = (hourMs.median / 1000) * (3600 / hourSeconds);
    const ratio = summarize(pairRatios(res.sona!, res.stock!));
    return {
      id: 10,
      title: "VAD pass over 1 h of 16 kHz speech and silence",
      goal: "≤ 10 s on this machine; ratio against whisper-cli --vad",
      result: `${fmt(perHour, 1)} s per hour; ${fmt(ratio.median, 3)} × stock whisper-cli's VAD time on ${tenSeconds / 60} min`,
      verdict: perHour <= 10 ? "pass" : "fail",
      figures: [
        figure(`Sona VAD pass, ${hourSeconds / 60} min (engine vadMs)`, hourMs, "ms"),
        figure(`Sona VAD pass, ${tenSeconds / 60} min`, summarize(res.sona!), "ms"),
        figure(`stock whisper-cli --vad (OpenMP build), its vad time, ${tenSeconds / 60} min`, summarize(res.stock!), "ms"),
        figure(`this project's whisper-cli --vad (one-thread patch), ${tenSeconds / 60} min`, summarize(res.ours!), "ms"),
        figure("ratio Sona / stock whisper-cli (per iteration)", ratio, "", 3),
      ],
      notes: [
        `Audio: the espeak-ng 30 s clip then 30 s of digital silence, tiled. Sona: WhisperEngine.detectSpeech in this process (the embedded silero-v6.2.0, whisper.cpp's defaults), as \`sona vad\` and the server run it. whisper-cli: \`-d 1000\` (decoding stops after 1 s of speech), micro model, ${ctx.threads} threads, its log's "vad time". Stock whisper-cli is the pinned source with CMake's defaults (OpenMP, -march=native), built once by bench/support/stock-whisper-cli.ts. whisper-cli-reference (unpatched, ggml's thread pool, as this project builds) is left out: it needs ~240 ms per 32 ms chunk on 2 cores (shared/models/README.md), about 7.5 hours for the hour.`,
      ],
    };
  } finally {
    await engine.close();
  }
}

export async function vadEndToEndRow(ctx: BenchContext): Promise<RowResult> {
  const file = halfSilent(ctx, "vad-e2e.wav", ctx.quick ? 60 : 600);
  const stock = stockWhisperCli(ctx.root, ctx.log);
  const model = ctx.models.tiny;
  const t = String(ctx.threads);
  const sona = (extra: string[]) => async () => (await timedOk([...ctx.sona.cmd, "transcribe", model, file, "--no-fallback", "-t", t, "-f", "json", ...extra])).ms;
  const runs = Math.min(ctx.runs, 3);
  const res = await interleave<number>(
    runs,
    [
      { name: "vad", run: sona(["--vad"]) },
      { name: "cli", run: async () => (await timedOk([stock, "-m", model, "-f", file, "-t", t, "-nf", "-bs", "1", "-bo", "1", "-np", ...vadArgs])).ms },
      { name: "plain", run: sona([]) },
    ],
    (n, i, ms) => ctx.log(`  #${i + 1} ${n}: ${Math.round(ms)} ms`),
  );
  const vsCli = summarize(pairRatios(res.vad!, res.cli!));
  const vsPlain = summarize(pairRatios(res.vad!, res.plain!));
  return {
    id: 11,
    title: "10 min, half silence, tiny-dimension model: `sona transcribe --vad` vs `whisper-cli --vad` and vs no VAD",
    goal: "faster than whisper-cli --vad",
    result: `${fmt(vsCli.median, 3)} × whisper-cli --vad; ${fmt(vsPlain.median, 3)} × Sona without VAD`,
    verdict: vsCli.median < 1 ? "pass" : "fail",
    figures: [
      figure("sona transcribe --vad (wall)", summarize(res.vad!), "ms"),
      figure("stock whisper-cli --vad (wall)", summarize(res.cli!), "ms"),
      figure("sona transcribe, no VAD (wall)", summarize(res.plain!), "ms"),
      figure("ratio Sona --vad / whisper-cli --vad", vsCli, "", 3),
      figure("ratio Sona --vad / Sona without VAD", vsPlain, "", 3),
    ],
    notes: [
      `Whole processes, ${runs} interleaved runs: ${ctx.sona.kind} and stock whisper-cli (OpenMP build), greedy, no fallback, ${ctx.threads} threads, the same embedded Silero file and whisper.cpp's VAD defaults. The synthetic model's text is meaningless; a random-weight model also decodes many more tokens per window than a real one, so the time saved by skipping silence is larger here than with real weights.`,
    ],
  };
}
