/* AxVisor VM configuration: the TOML schema, parsed and validated into a
 * fixed-size struct (no allocation beyond the caller's TOML arena).
 *
 *   [base]    id, name, vm_type (0 host, 1 RTOS/bare, 2 Linux), cpu_num,
 *             phys_cpu_ids (optional), phys_cpu_sets (optional)
 *   [kernel]  entry_point, kernel_path, kernel_load_addr (required);
 *             image_location ("memory" | "fs", default "fs"),
 *             dtb_path/dtb_load_addr, ramdisk_path/ramdisk_load_addr,
 *             bios_path/bios_load_addr, cmdline, disk_path (optional);
 *             memory_regions = [[gpa, size, flags, map_type], ...]
 *   [devices] emu_devices = [[name, gpa, size, irq, type, [cfg...]], ...],
 *             passthrough_devices = [[name, gpa, hpa, size, irq] | ["/dtb/path"], ...],
 *             passthrough_addresses = [[gpa, size], ...],
 *             excluded_devices = [["/dtb/path"], ...],
 *             interrupt_mode = "no_irq" (default; "no", "none") |
 *                              "emulated" ("emu") | "passthrough" ("pt")
 *   ([devices] and all its keys are optional.)
 *
 * Checks beyond types: unknown keys / tables are errors; cpu_num in
 * 1..AX_MAX_CPUS; phys_cpu_ids / phys_cpu_sets have cpu_num entries and each
 * set is a non-zero mask of CPUs < AX_MAX_CPUS; memory regions: at least
 * one, non-empty, page-aligned, no wrap-around, no overlap; entry point
 * and every load address inside a RAM region (one without
 * VM_MEM_DEVICE; map_type "reserved" is host-reserved memory handed to the
 * guest, so it counts as RAM); an image path needs its load address;
 * emulated device windows non-empty, not wrapping, not overlapping RAM or
 * each other; known emulated device types only.
 *
 * Structural errors (syntax, types, unknown keys, ranges, lengths) are all
 * collected first; the cross-field checks run only when there were none,
 * so one mistake does not cascade into several messages. */
#ifndef AX_VMCONFIG_H
#define AX_VMCONFIG_H

#include "ax/toml.h"
#include "ax/types.h"

/* Capacities of the fixed arrays (a config exceeding one is an error). */
#define VMCONFIG_MAX_REGIONS 16
#define VMCONFIG_MAX_EMU_DEVS 16
#define VMCONFIG_MAX_EMU_CFG 8   /* ints in one emulated device's cfg list */
#define VMCONFIG_MAX_PT_DEVS 16
#define VMCONFIG_MAX_PT_ADDRS 16
#define VMCONFIG_MAX_EXCLUDED 16
/* String buffer sizes, including the NUL (so at most size - 1 bytes). */
#define VMCONFIG_NAME_LEN 64     /* base.name, device names */
#define VMCONFIG_PATH_LEN 256    /* image / disk paths, DTB paths */
#define VMCONFIG_CMDLINE_LEN 512
#define VMCONFIG_SOURCE_LEN 64   /* file name kept for later messages */

/* Error collection: up to VMCONFIG_MAX_ERRORS messages of at most
 * VMCONFIG_ERR_LEN - 1 characters, formatted
 * "FILE:LINE: KEY: what was expected, what was found". */
#define VMCONFIG_MAX_ERRORS 16
#define VMCONFIG_ERR_LEN 201

struct vmconfig_errors {
    unsigned count; /* messages stored in msg[] */
    unsigned total; /* errors found, including those not stored */
    char msg[VMCONFIG_MAX_ERRORS][VMCONFIG_ERR_LEN];
};

enum vm_type {
    VM_TYPE_HOST = 0,
    VM_TYPE_RTOS = 1,
    VM_TYPE_LINUX = 2,
};

enum vm_image_location {
    VM_IMAGE_IN_FS = 0,     /* "fs": read from the FAT32 disk at run time */
    VM_IMAGE_IN_MEMORY = 1, /* "memory": built into the hypervisor image */
};

enum vm_irq_mode {
    VM_IRQ_NONE = 0,
    VM_IRQ_EMULATED = 1,
    VM_IRQ_PASSTHROUGH = 2,
};

/* memory_regions flags (axaddrspace MappingFlags). */
#define VM_MEM_READ 0x1u
#define VM_MEM_WRITE 0x2u
#define VM_MEM_EXECUTE 0x4u
#define VM_MEM_USER 0x8u
#define VM_MEM_DEVICE 0x10u
#define VM_MEM_FLAGS_ALL 0x1Fu

enum vm_map_type {
    VM_MAP_ALLOC = 0,     /* backed by memory the hypervisor allocates */
    VM_MAP_IDENTICAL = 1, /* gpa == hpa */
    VM_MAP_RESERVED = 2,  /* host-reserved memory handed to the guest */
};

enum vm_emu_type {
    EMU_DUMMY = 0x0,
    EMU_INTC = 0x1,      /* interrupt controller (vGIC, vPLIC, vLAPIC...) */
    EMU_CONSOLE = 0x2,   /* UART */
    EMU_IVC = 0xA,       /* inter-VM channel */
    EMU_GPPT_GICR = 0x20, /* GIC partial passthrough: redistributor */
    EMU_GPPT_GICD = 0x21, /* distributor */
    EMU_GPPT_ITS = 0x22,  /* ITS */
    EMU_PLIC = 0x30,
    EMU_VIRTIO_BLK = 0xE1,
    EMU_VIRTIO_NET = 0xE2,
    EMU_VIRTIO_CONSOLE = 0xE3,
};

enum vm_image_kind {
    VM_IMG_KERNEL = 0,
    VM_IMG_DTB,
    VM_IMG_RAMDISK,
    VM_IMG_BIOS,
    VM_IMG_COUNT,
};

struct vm_image {
    bool has_path, has_load_addr;
    char path[VMCONFIG_PATH_LEN];
    uint64_t load_addr;
};

struct vm_mem_region {
    uint64_t gpa, size;
    uint32_t flags;    /* VM_MEM_* */
    uint32_t map_type; /* enum vm_map_type */
};

struct vm_emu_device {
    char name[VMCONFIG_NAME_LEN];
    uint64_t gpa, size;
    uint32_t irq;
    uint32_t type; /* enum vm_emu_type */
    uint32_t cfg_num;
    uint64_t cfg[VMCONFIG_MAX_EMU_CFG];
};

struct vm_pt_device {
    char name[VMCONFIG_PATH_LEN]; /* a name, or a host DTB path if from_dtb */
    bool from_dtb;                /* ["/path"]: regions / IRQs come from the host DTB */
    uint64_t gpa, hpa, size;      /* zero when from_dtb */
    uint32_t irq;
};

struct vm_pt_address {
    uint64_t gpa, size;
};

/* About 14 KiB: keep it off small stacks. */
struct vm_config {
    char source[VMCONFIG_SOURCE_LEN]; /* file name given to vmconfig_parse */

    uint64_t id;
    char name[VMCONFIG_NAME_LEN];
    uint32_t vm_type; /* enum vm_type */
    uint32_t cpu_num;
    bool has_phys_cpu_ids, has_phys_cpu_sets;
    uint64_t phys_cpu_ids[AX_MAX_CPUS];  /* MPIDR / hart / APIC id per vCPU */
    uint64_t phys_cpu_sets[AX_MAX_CPUS]; /* pCPU bitmask per vCPU */

    uint64_t entry_point;
    uint32_t image_location; /* enum vm_image_location */
    struct vm_image images[VM_IMG_COUNT];
    bool has_cmdline, has_disk_path;
    char cmdline[VMCONFIG_CMDLINE_LEN];
    char disk_path[VMCONFIG_PATH_LEN];
    uint32_t region_num;
    struct vm_mem_region regions[VMCONFIG_MAX_REGIONS];

    uint32_t emu_num, pt_dev_num, pt_addr_num, excluded_num;
    struct vm_emu_device emu_devices[VMCONFIG_MAX_EMU_DEVS];
    struct vm_pt_device pt_devices[VMCONFIG_MAX_PT_DEVS];
    struct vm_pt_address pt_addrs[VMCONFIG_MAX_PT_ADDRS];
    char excluded[VMCONFIG_MAX_EXCLUDED][VMCONFIG_PATH_LEN];
    uint32_t irq_mode; /* enum vm_irq_mode */
};

/* Parses and validates one config. filename is used in messages (pass the
 * path as the user wrote it). The TOML tree is built in arena (64 KiB is
 * ample for real configs) and is not needed afterwards; out is fully
 * overwritten (and only meaningful on success). Returns 0, or
 * -AX_EINVAL with errs listing every problem, or -AX_ENOMEM when the arena
 * is too small (also reported in errs). errs may be NULL. */
int vmconfig_parse(const char *filename, const char *text, size_t len,
                   struct toml_arena *arena, struct vm_config *out,
                   struct vmconfig_errors *errs);

/* Checks that an image of `size` bytes loaded at its load address fits in
 * the RAM region containing that address. Returns 0, -AX_ENOENT if the
 * image has no load address (or which is invalid), -AX_ERANGE if it does
 * not fit ("... image is larger than its region ...", added to errs). */
int vmconfig_check_image(const struct vm_config *cfg, enum vm_image_kind which, uint64_t size,
                         struct vmconfig_errors *errs);

/* vmconfig_check_image() for every image with a non-zero size in sizes[]
 * (indexed by enum vm_image_kind; 0 = absent / unknown, skipped), then
 * checks that no two of those images overlap once loaded. Returns 0 or
 * -AX_ERANGE with every problem added to errs. */
int vmconfig_check_layout(const struct vm_config *cfg, const uint64_t sizes[VM_IMG_COUNT],
                          struct vmconfig_errors *errs);

/* Index of the RAM region containing [addr, addr + size) (size 0 = just
 * addr), or -1. */
int vmconfig_find_ram(const struct vm_config *cfg, uint64_t addr, uint64_t size);

/* Names used in messages and summaries: "kernel", "dtb", "ramdisk",
 * "bios"; "host", "RTOS", "Linux"; "no_irq", "emulated", "passthrough";
 * "console", "virtio-blk", ...; NULL for an unknown emulated type. */
const char *vmconfig_image_name(enum vm_image_kind which);
const char *vmconfig_vm_type_name(uint32_t vm_type);
const char *vmconfig_irq_mode_name(uint32_t mode);
const char *vmconfig_emu_type_name(uint32_t type);

/* Appends a preformatted message to errs (kept for callers such as the
 * host tool that add their own checks). */
void vmconfig_add_error(struct vmconfig_errors *errs, const char *fmt, ...) PRINTF_LIKE(2, 3);

#endif
