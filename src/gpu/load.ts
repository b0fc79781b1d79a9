// A model load that may use a GPU and never fails because of one: the device is chosen
// (choose.ts), the load is tried there, and anything that goes wrong on the GPU's side (a device
// that cannot initialise, out of device memory while loading) loads the model on the CPU instead,
// with one warning line and the reason kept for the load response, /ready, /v1/models and `sona info`.
import { type Env, setting } from "../config.ts";
import { SonaError } from "../errors.ts";
import { chooseDevice, type DeviceRequest } from "./choose.ts";
import { probeGpus, type GpuDevice, type GpuProbe } from "./devices.ts";

export interface GpuTarget {
  /** the Vulkan library the worker opens for this model */
  libPath: string;
  index: number;
}

export interface Placement {
  /** `cpu`, or the GPU's description */
  device: string;
  gpu?: GpuDevice;
  /** why the model is on the CPU although a GPU was asked for, or one failed */
  fallbackReason?: string;
}

/** The request with SONA_NO_GPU / SONA_GPU_DEVICE filled in where the caller said nothing. */
export function deviceRequest(request: DeviceRequest, env: Env = process.env): DeviceRequest {
  const noGpu = request.noGpu || /^(1|true|yes)$/i.test(setting("SONA_NO_GPU", env) ?? "");
  let gpuDevice = request.gpuDevice;
  const fromEnv = setting("SONA_GPU_DEVICE", env);
  if (gpuDevice === undefined && fromEnv !== undefined) {
    if (!/^\d+$/.test(fromEnv)) throw new SonaError("invalid_request", `SONA_GPU_DEVICE=${fromEnv}: expected a device index (sona devices lists them)`);
    gpuDevice = Number(fromEnv);
  }
  return { noGpu, gpuDevice };
}

/**
 * Loads through `attempt` (given a GPU target, or none for the CPU): on the chosen GPU first, then
 * on the CPU when that fails. Throws only what the CPU load throws, or a bad gpu_device index.
 */
export async function loadWithFallback<T>(
  request: DeviceRequest & { modelBytes?: number },
  attempt: (gpu: GpuTarget | undefined) => Promise<T>,
  warn: (line: string) => void = (line) => console.error(line),
  probe: () => GpuProbe = probeGpus,
): Promise<{ loaded: T; placement: Placement }> {
  const choice = chooseDevice(probe, deviceRequest(request));
  let reason = choice.reason;
  let loud = choice.warn;
  let gpu = choice.device;
  // checked before whisper.cpp tries: with too little device memory for the weights it would abort
  // inside ggml (whisper.cpp 1.9.1 does not check that allocation), not fail
  if (gpu && request.modelBytes && gpu.memory_free > 0 && request.modelBytes > gpu.memory_free) {
    reason = `GPU ${gpu.index} (${gpu.description}) has ${mib(gpu.memory_free)} MiB free, less than the model's ${mib(request.modelBytes)} MiB`;
    loud = true;
    gpu = undefined;
  }
  const libPath = gpu ? probe().libPath : undefined;
  if (gpu && libPath) {
    try {
      return { loaded: await attempt({ libPath, index: gpu.index }), placement: { device: gpu.description, gpu } };
    } catch (err) {
      reason = `GPU ${gpu.index} (${gpu.description}) failed: ${err instanceof Error ? err.message : String(err)}`;
      loud = true;
    }
  }
  const loaded = await attempt(undefined);
  // a machine without a usable GPU is not falling back: only a GPU asked for by index, or one that
  // failed, gets the warning and a fallback_reason (`sona info` says why in every case)
  if (!reason || !loud) return { loaded, placement: { device: "cpu" } };
  warn(`sona: warning: ${reason}; the model runs on the CPU`);
  return { loaded, placement: { device: "cpu", fallbackReason: reason } };
}

const mib = (bytes: number) => Math.round(bytes / 2 ** 20);
