// The device flags of the commands that load a model (transcribe, serve, live). citty reads
// "--no-x" as "x = false", so --no-gpu is declared as its positive twin, as --no-fallback is.
import type { ArgsDef } from "citty";
import type { DeviceRequest } from "./choose.ts";

export const gpuArgs = {
  gpu: {
    type: "boolean",
    default: true,
    description: "Run on a GPU when one is usable (Vulkan)",
    negativeDescription: "Run on the CPU even when a GPU is usable (env SONA_NO_GPU=1)",
  },
  "gpu-device": { type: "string", description: "Run on this Vulkan device, an index from `sona devices` (a software device such as lavapipe only this way; env SONA_GPU_DEVICE)" },
} as const satisfies ArgsDef;

/** The flags as a load request; a --gpu-device that is not an index is a usage error (the caller's). */
export function deviceFlags(args: Record<string, unknown>): DeviceRequest | string {
  const request: DeviceRequest = {};
  if (args.gpu === false) request.noGpu = true;
  const device = args["gpu-device"];
  if (device !== undefined) {
    if (!/^\d+$/.test(String(device))) return `--gpu-device ${String(device)}: expected a device index (sona devices lists them)`;
    request.gpuDevice = Number(device);
  }
  return request;
}
