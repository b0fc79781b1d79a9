// The Vulkan devices this machine has, as `sona devices` prints them. Enumeration goes through the
// Vulkan library's shim (scripts/whisper/vulkan-shim.c), which asks the Vulkan loader directly and
// makes ggml see the same devices in the same order: index i here is whisper.cpp's gpu_device i.
// Nothing here can take the process down: no loader is a failed dlopen, a broken driver a failed
// vkCreateInstance; both become a reason, and the CPU is used.
import { dlopen, ptr } from "bun:ffi";
import { readCString } from "../engine/ffi.ts";
import { vulkanLibrary } from "./library.ts";

export type DeviceType = "gpu" | "igpu" | "cpu";

export interface GpuDevice {
  index: number;
  /** ggml's name, `Vulkan0` */
  name: string;
  /** the driver's name for it, `NVIDIA H200`, `llvmpipe (LLVM 15.0.6, 256 bits)` */
  description: string;
  /** Vulkan's device type: a software rasterizer (lavapipe, SwiftShader) is `cpu` */
  type: DeviceType;
  memory_total: number;
  memory_free: number;
}

export interface GpuProbe {
  devices: GpuDevice[];
  /** the Vulkan library, when it opened */
  libPath?: string;
  /** why there are no devices, when there are none */
  reason?: string;
}

const SYMBOLS = {
  sona_log_set_level: { args: ["i32"], returns: "void" },
  sona_gpu_probe: { args: [], returns: "i32" },
  sona_gpu_error: { args: [], returns: "ptr" },
  sona_gpu_info: { args: ["i32", "ptr"], returns: "i32" },
} as const;

// struct sona_gpu_info in vulkan-shim.c
const INFO = { sizeof: 344, name: 0, nameLen: 64, description: 64, descriptionLen: 256, vkType: 320, total: 328, free: 336 };
// VkPhysicalDeviceType: 0 other, 1 integrated, 2 discrete, 3 virtual, 4 cpu
const TYPES: Record<number, DeviceType> = { 1: "igpu", 2: "gpu", 3: "gpu", 4: "cpu" };

let cached: GpuProbe | undefined;

/** Every usable Vulkan device, probed once per process. */
export function probeGpus(): GpuProbe {
  cached ??= probe();
  return cached;
}

/** Why the Vulkan loader cannot be opened, or null when it can. Checked first, so that a machine
 * without one never unpacks the compiled binary's Vulkan library. */
function loaderProblem(): string | null {
  try {
    dlopen("libvulkan.so.1", { vkGetInstanceProcAddr: { args: ["ptr", "cstring"], returns: "ptr" } }).close();
    return null;
  } catch (err) {
    return `no Vulkan loader (libvulkan.so.1: ${(err instanceof Error ? err.message : String(err)).replace(/^.*libvulkan\.so\.1:\s*/, "")}); install your GPU's Vulkan driver`;
  }
}

function probe(): GpuProbe {
  const missing = loaderProblem();
  if (missing) return { devices: [], reason: missing };
  const lib = vulkanLibrary();
  if ("reason" in lib) return { devices: [], reason: lib.reason };
  let symbols: ReturnType<typeof dlopen<typeof SYMBOLS>>["symbols"];
  try {
    symbols = dlopen(lib.path, SYMBOLS).symbols;
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    const reason = /libvulkan\.so\.1/.test(message) ? "no Vulkan loader (libvulkan.so.1) is installed" : `the Vulkan library failed to open: ${message}`;
    return { devices: [], reason };
  }
  // ggml logs its device list as it starts: silent here, as in the worker unless --verbose
  symbols.sona_log_set_level(5);
  const n = symbols.sona_gpu_probe();
  if (n <= 0) return { devices: [], libPath: lib.path, reason: readCString(symbols.sona_gpu_error()) || "no Vulkan device" };
  const buf = new Uint8Array(INFO.sizeof);
  const view = new DataView(buf.buffer);
  const text = (at: number, len: number) => {
    const bytes = buf.subarray(at, at + len);
    const end = bytes.indexOf(0);
    return new TextDecoder().decode(end < 0 ? bytes : bytes.subarray(0, end));
  };
  const devices: GpuDevice[] = [];
  for (let i = 0; i < n; i++) {
    if (symbols.sona_gpu_info(i, ptr(buf)) !== 0) continue;
    devices.push({
      index: i,
      name: text(INFO.name, INFO.nameLen),
      description: text(INFO.description, INFO.descriptionLen),
      type: TYPES[view.getInt32(INFO.vkType, true)] ?? "gpu",
      memory_total: Number(view.getBigUint64(INFO.total, true)),
      memory_free: Number(view.getBigUint64(INFO.free, true)),
    });
  }
  return { devices, libPath: lib.path, reason: devices.length ? undefined : "no Vulkan device" };
}

/**
 * Starts device `index` once the way whisper.cpp will (ggml compiles its pipelines here) and
 * says why it cannot, or null when it can. Called in the engine worker before a model is loaded
 * onto it: whisper.cpp itself would quietly carry on on the CPU.
 */
export function checkGpu(libPath: string, index: number): string | null {
  const lib = dlopen(libPath, { sona_gpu_probe: { args: [], returns: "i32" }, sona_gpu_check: { args: ["i32"], returns: "i32" } }).symbols;
  if (lib.sona_gpu_probe() <= index) return `there is no GPU device ${index}`;
  const rc = lib.sona_gpu_check(index);
  return rc === 0 ? null : rc === -2 ? `GPU device ${index} failed to initialise` : `there is no GPU device ${index}`;
}

/** Whether the Vulkan backend ran out of device memory since the last call (vulkan-instance.patch's flag). */
export function tookOutOfMemory(libPath: string): boolean {
  return dlopen(libPath, { sona_gpu_take_oom: { args: [], returns: "i32" } }).symbols.sona_gpu_take_oom() !== 0;
}
