// Row 14: the Vulkan backend against the CPU backend, engine in process, 30 s clip, greedy, on the
// device BENCH_GPU_DEVICE names (default: the first hardware GPU, else the first device). On a
// machine whose only device is Mesa's lavapipe (a software rasterizer on the same cores) this is
// for the record only: lavapipe is a correctness path, not a speed path. The first load on a
// device compiles ggml's pipelines (Mesa caches them), so one untimed run comes first on each side.
import { WhisperEngine } from "../../src/engine/index.ts";
import { probeGpus } from "../../src/gpu/devices.ts";
import type { BenchContext } from "../support/context.ts";
import { benchOptions, loadSamples, runEngine } from "../support/engine.ts";
import { figure, type Figure, type RowResult, skipped } from "../support/report.ts";
import { fmt, interleave, pairRatios, summarize } from "../support/stats.ts";

export async function gpuRow(ctx: BenchContext): Promise<RowResult> {
  const { devices, reason } = probeGpus();
  const named = process.env.BENCH_GPU_DEVICE;
  const device = named !== undefined ? devices.find((d) => d.index === Number(named)) : (devices.find((d) => d.type !== "cpu") ?? devices[0]);
  const base = { id: 14, title: "Vulkan vs CPU backend, engine in process, 30 s clip", goal: "record it (a hardware GPU: faster than the CPU)" };
  if (!device) return skipped(base.id, base.title, base.goal, `no Vulkan device (${reason})`);
  const samples = await loadSamples(ctx.fixtures.clip30);
  const threads = Math.min(8, navigator.hardwareConcurrency);
  const options = benchOptions(threads);
  const figures: Figure[] = [];
  const results: string[] = [];
  for (const [name, model] of [["micro", ctx.models.micro], ["tiny", ctx.models.tiny]] as const) {
    const cpu = new WhisperEngine();
    const gpu = new WhisperEngine();
    try {
      await cpu.load(model, { noGpu: true });
      const placed = await gpu.load(model, { gpuDevice: device.index });
      if (placed.device === "cpu") throw new Error(`the model fell back to the CPU: ${placed.fallbackReason}`);
      await runEngine(cpu, samples, options);
      await runEngine(gpu, samples, options);
      const res = await interleave<number>(
        ctx.runs,
        [
          { name: "cpu", run: async () => (await runEngine(cpu, samples, options)).inferenceMs },
          { name: "gpu", run: async () => (await runEngine(gpu, samples, options)).inferenceMs },
        ],
        (n, i, ms) => ctx.log(`  #${i + 1} ${name} ${n}: ${Math.round(ms)} ms`),
      );
      const ratio = summarize(pairRatios(res.gpu!, res.cpu!));
      figures.push(
        figure(`${name}: CPU (${threads} threads) inferenceMs`, summarize(res.cpu!), "ms"),
        figure(`${name}: ${device.description} inferenceMs`, summarize(res.gpu!), "ms"),
        figure(`${name}: ratio GPU / CPU (per iteration)`, ratio, "", 3),
      );
      results.push(`${name} ${fmt(ratio.median, 2)} × the CPU's time`);
    } finally {
      await cpu.close();
      await gpu.close();
    }
  }
  return {
    ...base,
    result: `${device.description} (${device.type}): ${results.join(", ")}`,
    verdict: "recorded",
    figures,
    notes: [`Device ${device.index}: ${device.description}, type ${device.type}. Greedy, no fallback, ${threads} CPU threads on both sides (the Vulkan build's CPU backend still runs the ops the device does not take).`],
  };
}
