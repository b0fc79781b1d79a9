// An LD_PRELOAD library for test/gpu.test.ts that makes the GPU run out of memory on demand:
// while the file named by $VK_OOM_TRIGGER exists, every vkAllocateMemory fails with
// VK_ERROR_OUT_OF_DEVICE_MEMORY, exactly what a full device answers. ggml's Vulkan backend gets
// its function pointers through vkGetInstanceProcAddr/vkGetDeviceProcAddr (Vulkan-Hpp's dynamic
// dispatcher), so those two are wrapped; everything else is the real loader's.
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <vulkan/vulkan.h>

static PFN_vkGetInstanceProcAddr real_instance_proc;
static PFN_vkGetDeviceProcAddr real_device_proc;
static PFN_vkAllocateMemory real_allocate;

static int out_of_memory(void) {
    const char *trigger = getenv("VK_OOM_TRIGGER");
    return trigger && access(trigger, F_OK) == 0;
}

static VKAPI_ATTR VkResult VKAPI_CALL allocate(VkDevice device, const VkMemoryAllocateInfo *info,
                                               const VkAllocationCallbacks *callbacks, VkDeviceMemory *memory) {
    if (out_of_memory()) return VK_ERROR_OUT_OF_DEVICE_MEMORY;
    return real_allocate(device, info, callbacks, memory);
}

static VKAPI_ATTR PFN_vkVoidFunction VKAPI_CALL device_proc(VkDevice device, const char *name) {
    PFN_vkVoidFunction f = real_device_proc(device, name);
    if (f && strcmp(name, "vkAllocateMemory") == 0) {
        real_allocate = (PFN_vkAllocateMemory)f;
        return (PFN_vkVoidFunction)allocate;
    }
    if (f && strcmp(name, "vkGetDeviceProcAddr") == 0) return (PFN_vkVoidFunction)device_proc;
    return f;
}

VKAPI_ATTR PFN_vkVoidFunction VKAPI_CALL vkGetInstanceProcAddr(VkInstance instance, const char *name) {
    if (!real_instance_proc) {
        void *loader = dlopen("libvulkan.so.1", RTLD_NOW | RTLD_LOCAL);
        real_instance_proc = loader ? (PFN_vkGetInstanceProcAddr)dlsym(loader, "vkGetInstanceProcAddr") : NULL;
        if (!real_instance_proc) return NULL;
    }
    PFN_vkVoidFunction f = real_instance_proc(instance, name);
    if (!f) return f;
    if (strcmp(name, "vkGetInstanceProcAddr") == 0) return (PFN_vkVoidFunction)vkGetInstanceProcAddr;
    if (strcmp(name, "vkGetDeviceProcAddr") == 0) {
        real_device_proc = (PFN_vkGetDeviceProcAddr)f;
        return (PFN_vkVoidFunction)device_proc;
    }
    if (strcmp(name, "vkAllocateMemory") == 0) {
        real_allocate = (PFN_vkAllocateMemory)f;
        return (PFN_vkVoidFunction)allocate;
    }
    return f;
}
