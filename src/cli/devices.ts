// `sona devices`: the Vulkan devices as a JSON array on stdout (`[]` when there is none: the
// original's clients parse it), each {index, name, description, type, memory_total, memory_free}.
// Software devices (type "cpu", e.g. lavapipe) are listed but only used when named with --gpu-device.
import { defineCommand } from "citty";
import { probeGpus } from "../gpu/devices.ts";
import { writeStdout } from "./stdout.ts";

export default defineCommand({
  meta: { name: "devices", description: "List the GPUs (Vulkan devices) Sona can run on, as a JSON array; pick one with --gpu-device <index>" },
  async run() {
    const { devices, reason } = probeGpus();
    if (devices.length === 0 && reason) process.stderr.write(`sona: no GPU: ${reason}\n`);
    writeStdout(`${JSON.stringify(devices, null, 2)}\n`);
  },
});
