import { describe, expect, test } from "bun:test";
import { SonaError } from "../errors.ts";
import { chooseDevice } from "./choose.ts";
import type { GpuDevice, GpuProbe } from "./devices.ts";
import { deviceRequest, loadWithFallback } from "./load.ts";

const dev = (index: number, type: GpuDevice["type"], description = `dev${index}`): GpuDevice => ({
  index, name: `Vulkan${index}`, description, type, memory_total: 1 << 30, memory_free: 1 << 29,
});
const probe = (devices: GpuDevice[], reason?: string) => (): GpuProbe => ({ devices, libPath: "/lib/vk.so", reason });
const lavapipe = dev(0, "cpu", "llvmpipe (LLVM 15.0.6, 256 bits)");

describe("chooseDevice", () => {
  test("no_gpu probes nothing and chooses the CPU quietly", () => {
    const never = () => { throw new Error("probed"); };
    expect(chooseDevice(never, { noGpu: true })).toEqual({ warn: false });
  });

  test("the first hardware device by default, discrete or integrated", () => {
    expect(chooseDevice(probe([lavapipe, dev(1, "igpu"), dev(2, "gpu")]), {}).device?.index).toBe(1);
    expect(chooseDevice(probe([dev(0, "gpu")]), {}).device?.index).toBe(0);
  });

  test("a software device is listed but never chosen by default", () => {
    const c = chooseDevice(probe([lavapipe]), {});
    expect(c.device).toBeUndefined();
    expect(c.reason).toContain("only software Vulkan devices (0: llvmpipe");
    expect(c.warn).toBe(false);
  });

  test("a named device is used whatever its type", () => {
    expect(chooseDevice(probe([lavapipe, dev(1, "gpu")]), { gpuDevice: 0 }).device).toEqual(lavapipe);
  });

  test("a named index that does not exist is a clear error when devices were listed", () => {
    let err: unknown;
    try {
      chooseDevice(probe([lavapipe]), { gpuDevice: 7 });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SonaError);
    expect((err as SonaError).code).toBe("invalid_request");
    expect((err as SonaError).param).toBe("gpu_device");
    expect((err as SonaError).message).toContain("there is no GPU device 7; the devices are 0 (llvmpipe");
  });

  test("a named index without Vulkan at all is the CPU with a warning", () => {
    const c = chooseDevice(probe([], "no Vulkan loader"), { gpuDevice: 0 });
    expect(c).toEqual({ reason: "no GPU device 0: no Vulkan loader", warn: true });
  });

  test("no device: the CPU, with the probe's reason, quietly", () => {
    expect(chooseDevice(probe([], "the Vulkan loader found no usable device"), {})).toEqual({ reason: "the Vulkan loader found no usable device", warn: false });
  });
});

describe("deviceRequest", () => {
  test("SONA_NO_GPU and SONA_GPU_DEVICE fill in what the caller left out", () => {
    expect(deviceRequest({}, { SONA_NO_GPU: "1" })).toEqual({ noGpu: true, gpuDevice: undefined });
    expect(deviceRequest({}, { SONA_NO_GPU: "0" })).toEqual({ noGpu: false, gpuDevice: undefined });
    expect(deviceRequest({}, { SONA_GPU_DEVICE: "2" })).toEqual({ noGpu: false, gpuDevice: 2 });
    expect(deviceRequest({ gpuDevice: 1 }, { SONA_GPU_DEVICE: "2" }).gpuDevice).toBe(1);
    expect(() => deviceRequest({}, { SONA_GPU_DEVICE: "first" })).toThrow("SONA_GPU_DEVICE=first: expected a device index");
  });
});

describe("loadWithFallback", () => {
  test("a GPU load that fails loads on the CPU, with one warning and the reason", async () => {
    const tried: (number | undefined)[] = [];
    const warnings: string[] = [];
    const { loaded, placement } = await loadWithFallback({ gpuDevice: 0 }, async (gpu) => {
      tried.push(gpu?.index);
      if (gpu) throw new Error("out of device memory");
      return "model";
    }, (l) => warnings.push(l), probe([lavapipe]));
    expect(loaded).toBe("model");
    expect(tried).toEqual([0, undefined]);
    expect(placement.device).toBe("cpu");
    expect(placement.fallbackReason).toBe("GPU 0 (llvmpipe (LLVM 15.0.6, 256 bits)) failed: out of device memory");
    expect(warnings).toEqual([`sona: warning: ${placement.fallbackReason}; the model runs on the CPU`]);
  });

  test("a GPU load that works says which device", async () => {
    const warnings: string[] = [];
    const { placement } = await loadWithFallback({}, async (gpu) => gpu?.libPath, (l) => warnings.push(l), probe([dev(0, "gpu", "NVIDIA H200")]));
    expect(placement).toEqual({ device: "NVIDIA H200", gpu: dev(0, "gpu", "NVIDIA H200") });
    expect(warnings).toEqual([]);
  });

  test("weights larger than the device's free memory go to the CPU without trying the GPU", async () => {
    const tried: (number | undefined)[] = [];
    const warnings: string[] = [];
    const small = { ...dev(0, "gpu", "small GPU"), memory_free: 100 * 2 ** 20 };
    const { placement } = await loadWithFallback({ modelBytes: 200 * 2 ** 20 }, async (gpu) => void tried.push(gpu?.index), (l) => warnings.push(l), probe([small]));
    expect(tried).toEqual([undefined]);
    expect(placement.fallbackReason).toBe("GPU 0 (small GPU) has 100 MiB free, less than the model's 200 MiB");
    expect(warnings.length).toBe(1);
  });

  test("a CPU failure is the caller's error, not hidden", async () => {
    let err: unknown;
    await loadWithFallback({ noGpu: true }, async () => { throw new Error("bad file"); }, () => {}, probe([])).catch((e) => (err = e));
    expect((err as Error).message).toBe("bad file");
  });
});
