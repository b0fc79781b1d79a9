// The GPU half of Sona's shim, linked only into libsona-whisper-vulkan.so (beside shim.c).
//
// Device enumeration goes through the Vulkan loader directly, before ggml sees any device:
// ggml's own list hides CPU-type devices (lavapipe, SwiftShader) unless GGML_VK_VISIBLE_DEVICES
// names them, and Sona lists every usable device and lets the user pick a software one by index.
// So sona_gpu_probe() creates a throwaway instance, keeps each Vulkan 1.2+ device's type, and
// sets GGML_VK_VISIBLE_DEVICES to exactly those devices (unless the user set it), which makes
// ggml's device i, whisper.cpp's gpu_device i and Sona's device index i the same device.
// It must run before the first ggml or whisper call: ggml reads the variable once per process.
#define _POSIX_C_SOURCE 200809L  // setenv
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vulkan/vulkan.h>

#include "ggml-backend.h"

#define SONA_API __attribute__((visibility("default")))
#define SONA_GPU_MAX 16

struct sona_gpu_info {
    char name[64];          // ggml's device name ("Vulkan0")
    char description[256];  // the driver's device name ("NVIDIA H200", "llvmpipe (LLVM 15.0.6, 256 bits)")
    int32_t vk_type;        // VkPhysicalDeviceType
    int32_t _pad;
    uint64_t memory_total;
    uint64_t memory_free;
};

static int probed = 0;
static int probe_result = 0;
static int32_t vk_types[SONA_GPU_MAX];
static char probe_error[256];

// Returns the number of usable Vulkan devices (0 when the loader finds no driver or device), or
// -1 when creating a Vulkan instance fails; sona_gpu_error() then says why. Idempotent.
SONA_API int sona_gpu_probe(void) {
    if (probed) return probe_result;
    probed = 1;
    VkApplicationInfo app = {.sType = VK_STRUCTURE_TYPE_APPLICATION_INFO, .pApplicationName = "sona",
                             .apiVersion = VK_API_VERSION_1_2};
    VkInstanceCreateInfo info = {.sType = VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO, .pApplicationInfo = &app};
    VkInstance instance = VK_NULL_HANDLE;
    VkResult r = vkCreateInstance(&info, NULL, &instance);
    if (r != VK_SUCCESS) {
        // VK_ERROR_INCOMPATIBLE_DRIVER is what the loader says when no driver (ICD) could be loaded
        snprintf(probe_error, sizeof probe_error, r == VK_ERROR_INCOMPATIBLE_DRIVER
                 ? "no Vulkan driver could be loaded (VkResult %d)" : "vkCreateInstance failed (VkResult %d)", (int)r);
        probe_result = -1;
        return probe_result;
    }
    uint32_t n = 0;
    vkEnumeratePhysicalDevices(instance, &n, NULL);
    VkPhysicalDevice devs[SONA_GPU_MAX];
    if (n > SONA_GPU_MAX) n = SONA_GPU_MAX;
    if (n > 0 && vkEnumeratePhysicalDevices(instance, &n, devs) < 0) n = 0;
    char visible[SONA_GPU_MAX * 4 + 1] = "";
    int count = 0;
    for (uint32_t i = 0; i < n; i++) {
        VkPhysicalDeviceProperties p;
        vkGetPhysicalDeviceProperties(devs[i], &p);
        if (p.apiVersion < VK_API_VERSION_1_2) continue;  // ggml-vulkan needs 1.2
        vk_types[count++] = (int32_t)p.deviceType;
        size_t len = strlen(visible);
        snprintf(visible + len, sizeof visible - len, "%s%u", len ? "," : "", i);
    }
    vkDestroyInstance(instance, NULL);
    if (count == 0) snprintf(probe_error, sizeof probe_error, "the Vulkan loader found no usable device");
    // an empty list hides every device from ggml, which then leaves Vulkan alone
    if (!getenv("GGML_VK_VISIBLE_DEVICES")) setenv("GGML_VK_VISIBLE_DEVICES", visible, 1);
    probe_result = count;
    return count;
}

SONA_API const char *sona_gpu_error(void) { return probe_error; }

// The i-th GPU as ggml (and whisper.cpp's gpu_device) counts them: its GPU and iGPU devices, in order.
static ggml_backend_dev_t gpu_dev(int index) {
    int k = 0;
    for (size_t i = 0; i < ggml_backend_dev_count(); i++) {
        ggml_backend_dev_t dev = ggml_backend_dev_get(i);
        enum ggml_backend_dev_type t = ggml_backend_dev_type(dev);
        if (t != GGML_BACKEND_DEVICE_TYPE_GPU && t != GGML_BACKEND_DEVICE_TYPE_IGPU) continue;
        if (k++ == index) return dev;
    }
    return NULL;
}

// The i-th GPU's names, type and memory; 0 on success.
SONA_API int sona_gpu_info(int index, struct sona_gpu_info *out) {
    if (sona_gpu_probe() <= 0 || !out) return -1;
    ggml_backend_dev_t dev = gpu_dev(index);
    if (!dev) return -1;
    memset(out, 0, sizeof *out);
    snprintf(out->name, sizeof out->name, "%s", ggml_backend_dev_name(dev));
    snprintf(out->description, sizeof out->description, "%s", ggml_backend_dev_description(dev));
    out->vk_type = index < SONA_GPU_MAX ? vk_types[index] : -1;
    size_t free = 0, total = 0;
    ggml_backend_dev_memory(dev, &free, &total);
    out->memory_total = total;
    out->memory_free = free;
    return 0;
}

// Initialises the i-th GPU as whisper.cpp would (ggml compiles its pipelines here: seconds on
// lavapipe) and frees it again; ggml keeps the device, so the model's load reuses it. 0 when it
// works, so a device that cannot start is found before a model is loaded onto it.
SONA_API int sona_gpu_check(int index) {
    ggml_backend_dev_t dev = gpu_dev(index);
    if (!dev) return -1;
    ggml_backend_t b = ggml_backend_dev_init(dev, NULL);
    if (!b) return -2;
    ggml_backend_free(b);
    return 0;
}

// Set by vulkan-instance.patch when device memory ran out; 1 once after that, then 0 again.
extern int sona_vk_oom;

SONA_API int sona_gpu_take_oom(void) {
    int was = sona_vk_oom;
    sona_vk_oom = 0;
    return was;
}
