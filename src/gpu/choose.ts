// Which device a model loads on. The rules (docs/API.md, "GPU"):
// - no_gpu / --no-gpu / SONA_NO_GPU=1: the CPU, nothing probed;
// - gpu_device / --gpu-device N / SONA_GPU_DEVICE=N: device N, whatever its type (that is how a
//   software device such as lavapipe is used); an index that does not exist is a clear error
//   when devices could be listed, and the CPU with a warning when Vulkan is not there at all;
// - otherwise the first hardware device (discrete or integrated GPU); a software device (Vulkan's
//   type CPU) is never chosen by default: it is slower than the CPU backend.
import { SonaError } from "../errors.ts";
import type { GpuDevice, GpuProbe } from "./devices.ts";

export interface DeviceRequest {
  noGpu?: boolean;
  gpuDevice?: number;
}

export interface DeviceChoice {
  /** the device to load on, or none: the CPU */
  device?: GpuDevice;
  /** why the CPU, when a GPU could have been wanted */
  reason?: string;
  /** the reason deserves a warning line: a GPU was asked for by index, or one exists and was passed over */
  warn: boolean;
}

export function chooseDevice(probe: () => GpuProbe, request: DeviceRequest): DeviceChoice {
  if (request.noGpu) return { warn: false };
  const found = probe();
  const named = request.gpuDevice;
  if (named !== undefined) {
    const device = found.devices.find((d) => d.index === named);
    if (device) return { device, warn: false };
    if (found.devices.length === 0) return { reason: `no GPU device ${named}: ${found.reason ?? "no Vulkan device"}`, warn: true };
    throw new SonaError("invalid_request", `there is no GPU device ${named}; ${describe(found.devices)} (see: sona devices)`, { param: "gpu_device" });
  }
  const device = found.devices.find((d) => d.type !== "cpu");
  if (device) return { device, warn: false };
  const software = found.devices.filter((d) => d.type === "cpu");
  const reason = software.length
    ? `only software Vulkan devices (${software.map((d) => `${d.index}: ${d.description}`).join(", ")}), which are slower than the CPU backend; pick one with --gpu-device`
    : (found.reason ?? "no Vulkan device");
  return { reason, warn: false };
}

function describe(devices: GpuDevice[]): string {
  return `the devices are ${devices.map((d) => `${d.index} (${d.description}, ${d.type})`).join(", ")}`;
}
