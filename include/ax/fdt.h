/* Flattened device tree (DTB) parser.
 *
 * Parses in place over a const blob: no allocation, no writes, no alignment
 * requirement (every big-endian field is read bytewise). The blob is
 * untrusted: fdt_init() validates the header and the whole structure block
 * once, and every accessor still bounds-checks what it touches, so a bad
 * offset or malformed tree yields a negative AX_E* value, never a crash or an
 * endless loop.
 *
 * Nodes and properties are named by int offsets into the structure block
 * (>= 0). Functions returning an offset return a negative AX_E* on failure:
 * -AX_ENOENT when the thing asked for does not exist, -AX_EINVAL when the
 * blob or an argument is malformed, -AX_ERANGE when a value does not fit.
 *
 * The second half of this header is the platform summary the hypervisor
 * boots from (fdt_parse_platform). */
#ifndef AX_FDT_H
#define AX_FDT_H

#include "ax/types.h"

#define FDT_MAGIC 0xd00dfeedU
#define FDT_MAX_DEPTH 32 /* root is depth 0; deeper trees are rejected */

/* A validated blob. Fill it with fdt_init(); treat the fields as read-only. */
struct fdt {
    const uint8_t *blob;
    uint32_t totalsize;
    uint32_t version;
    uint32_t boot_cpuid;
    uint32_t struct_off, struct_size;
    uint32_t strings_off, strings_size; /* size trimmed to the last NUL */
    uint32_t memrsv_off, memrsv_count;
};

struct fdt_prop {
    int offset;          /* of the property token, for fdt_next_prop() */
    const char *name;    /* NUL-terminated, inside the strings block */
    const uint8_t *data; /* raw big-endian bytes, inside the blob */
    uint32_t len;
};

/* One "reg" entry (or /memreserve/ entry): address and size. */
struct fdt_reg {
    uint64_t addr;
    uint64_t size;
};

/* ---- Header and validation ---- */

/* Validates header (magic, version >= 16, totalsize <= maxlen, block
 * offsets/sizes/alignment), the /memreserve/ list and every structure token
 * (names terminated, properties in bounds, nesting balanced and shallower
 * than FDT_MAX_DEPTH, one root, FDT_END last). 0 or -AX_EINVAL. */
int fdt_check(const void *blob, size_t maxlen);
/* fdt_check() and, on success, fill *fdt. */
int fdt_init(struct fdt *fdt, const void *blob, size_t maxlen);

/* Big-endian loads from any alignment. */
uint32_t fdt_be32(const void *p);
uint64_t fdt_be64(const void *p);

/* ---- Nodes ---- */

/* The root node with *depth = 0 (depth may be NULL). */
int fdt_first_node(const struct fdt *fdt, int *depth);
/* The next node in depth-first order; *depth is adjusted (+1 for a child,
 * same for a sibling, less after closing nodes). Returns -AX_ENOENT at the end
 * of the tree or when the walk would climb above the starting level (*depth
 * would go negative), so walking from a node covers it, its subtree and its
 * later siblings. depth may be NULL (then counted from 0). */
int fdt_next_node(const struct fdt *fdt, int node, int *depth);
int fdt_first_child(const struct fdt *fdt, int node);
int fdt_next_sibling(const struct fdt *fdt, int node);
/* The parent node (-AX_ENOENT for the root). Scans from the root: O(tree). */
int fdt_parent(const struct fdt *fdt, int node);
/* Full name ("cpu@0", "" for the root) or NULL for a bad offset. */
const char *fdt_node_name(const struct fdt *fdt, int node, size_t *len);

/* Child of parent named name[0..len): an exact match, or when name has no
 * '@', a node whose name before '@' matches ("memory" finds memory@4000). */
int fdt_subnode(const struct fdt *fdt, int parent, const char *name, size_t len);
/* Absolute path "/cpus/cpu@0" (components matched as fdt_subnode() does,
 * empty components ignored). A path not starting with '/' begins with an
 * alias from /aliases whose value must be an absolute path ("serial0/x"). */
int fdt_path_offset(const struct fdt *fdt, const char *path);
int fdt_path_offset_len(const struct fdt *fdt, const char *path, size_t len);

/* Node whose "phandle" (or legacy "linux,phandle") equals phandle. */
int fdt_node_by_phandle(const struct fdt *fdt, uint32_t phandle);
/* The node's phandle, or 0 if it has none (0 is never a valid phandle). */
uint32_t fdt_get_phandle(const struct fdt *fdt, int node);

/* Next node after `from` in tree order (from < 0: the whole tree) whose
 * "compatible" list contains compat. Loop: n = f(fdt, -1, c); n >= 0;
 * n = f(fdt, n, c). */
int fdt_find_compatible(const struct fdt *fdt, int from, const char *compat);
/* 1 if node's "compatible" contains compat, 0 if not (or absent), < 0 on
 * a malformed node. */
int fdt_node_is_compatible(const struct fdt *fdt, int node, const char *compat);
/* Status is "okay"/"ok" or absent: 1; any other status: 0; < 0 malformed. */
int fdt_node_is_enabled(const struct fdt *fdt, int node);

/* ---- Properties ---- */

int fdt_first_prop(const struct fdt *fdt, int node, struct fdt_prop *prop);
int fdt_next_prop(const struct fdt *fdt, struct fdt_prop *prop); /* in place */
/* 0 and *prop filled, -AX_ENOENT if the node has no such property. */
int fdt_get_prop(const struct fdt *fdt, int node, const char *name,
                 struct fdt_prop *prop);
/* Exactly one cell, else -AX_EINVAL. */
int fdt_get_u32(const struct fdt *fdt, int node, const char *name, uint32_t *out);
/* One or two cells (u32 or u64 form). */
int fdt_get_u64(const struct fdt *fdt, int node, const char *name, uint64_t *out);
/* NUL-terminated string property; *len (may be NULL) excludes the NUL. */
int fdt_get_string(const struct fdt *fdt, int node, const char *name,
                   const char **str, size_t *len);

/* ncells (0..2) big-endian cells starting at cell index `cell` of a property,
 * as one number. -AX_EINVAL if out of the property, -AX_ERANGE if ncells > 2. */
int fdt_prop_cells(const struct fdt_prop *prop, uint32_t cell, uint32_t ncells,
                   uint64_t *out);

/* String lists ("a\0b\0"): the property must end with a NUL. */
int fdt_stringlist_count(const struct fdt_prop *prop);
int fdt_stringlist_get(const struct fdt_prop *prop, uint32_t idx,
                       const char **str, size_t *len);
bool fdt_stringlist_contains(const struct fdt_prop *prop, const char *str);

/* ---- Addresses ---- */

/* #address-cells / #size-cells a node declares for its children, with the
 * spec defaults 2 and 1; values above 4 are rejected as malformed. */
int fdt_address_cells(const struct fdt *fdt, int node);
int fdt_size_cells(const struct fdt *fdt, int node);
/* Entries of node's "reg" in the parent's cell sizes (0 if no "reg"). */
int fdt_reg_count(const struct fdt *fdt, int node);
/* reg entry idx as written (a bus address of the parent). */
int fdt_get_reg(const struct fdt *fdt, int node, uint32_t idx, struct fdt_reg *out);
/* The same entry translated through the ancestors' "ranges" to a CPU
 * physical address. An absent "ranges" is taken as identity (lenient, as
 * hand-written trees often omit it); a non-empty one with no window holding
 * the address gives -AX_ERANGE. */
int fdt_get_reg_phys(const struct fdt *fdt, int node, uint32_t idx,
                     struct fdt_reg *out);
/* Same as the two above with the ancestor chain given (anc[0] = root ..
 * anc[nanc-1] = parent), for walkers that already track it: O(1) lookups. */
int fdt_get_reg_anc(const struct fdt *fdt, const int *anc, int nanc, int node,
                    uint32_t idx, bool translate, struct fdt_reg *out);

/* ---- /memreserve/ ---- */

int fdt_memrsv_count(const struct fdt *fdt);
int fdt_memrsv_get(const struct fdt *fdt, uint32_t idx, struct fdt_reg *out);

/* ======================================================================
 * Platform summary: what the hypervisor needs to boot on QEMU virt
 * (aarch64, riscv64). Addresses are CPU physical addresses (translated
 * through "ranges"); sizes are in bytes. Interrupt numbers are GIC INTIDs
 * (SGI 0-15, PPI 16-31, SPI 32-1019, extended ranges above) when the
 * controller is a GIC and PLIC source ids when it is a PLIC. Optional parts
 * that are missing are flagged absent, lists report how many entries
 * the tree had beyond their capacity.
 * ====================================================================== */

#define FDT_IRQ_NONE 0xffffffffU /* no interrupt, or not on the main intc */
#define FDT_MAX_MEM 8
#define FDT_MAX_RESERVED 16
#define FDT_MAX_VIRTIO 32
#define FDT_MAX_GICR 4
#define FDT_PSCI_0_2_CPU_ON_64 0xc4000003U

enum fdt_intc_kind {
    FDT_INTC_NONE = 0,
    FDT_INTC_GICV2, /* "arm,cortex-a15-gic", "arm,gic-400" */
    FDT_INTC_GICV3, /* "arm,gic-v3" */
    FDT_INTC_PLIC,  /* "riscv,plic0", "sifive,plic-1.0.0" */
};

enum fdt_uart_kind {
    FDT_UART_NONE = 0,
    FDT_UART_PL011,   /* "arm,pl011" */
    FDT_UART_NS16550, /* "ns16550a", "ns16550" */
};

enum fdt_psci_method {
    FDT_PSCI_NONE = 0,
    FDT_PSCI_SMC,
    FDT_PSCI_HVC,
};

struct fdt_region {
    paddr_t base;
    uint64_t size;
};

struct fdt_intc {
    enum fdt_intc_kind kind; /* NONE: no supported controller found */
    uint32_t phandle;        /* 0 if it has none */
    /* GIC (v2: GICD, GICC, GICH, GICV; v3: GICD, GICR x n, [GICC, GICH, GICV]) */
    struct fdt_region gicd;
    uint32_t gicr_count, gicr_total; /* stored / in the tree (v3) */
    struct fdt_region gicr[FDT_MAX_GICR];
    bool has_gicc, has_gich, has_gicv;
    struct fdt_region gicc, gich, gicv;
    uint32_t maint_intid; /* maintenance interrupt INTID or FDT_IRQ_NONE */
    /* PLIC */
    struct fdt_region plic;
    uint32_t plic_ndev; /* "riscv,ndev", 0 if absent */
};

/* "arm,armv8-timer": INTIDs, each FDT_IRQ_NONE if the entry is missing. */
struct fdt_timer {
    bool present;
    uint32_t sec_phys_intid, phys_intid, virt_intid, hyp_intid;
    uint32_t clock_hz; /* "clock-frequency", 0 if absent (use CNTFRQ) */
};

struct fdt_uart {
    enum fdt_uart_kind kind; /* NONE: no console UART found */
    bool from_stdout_path;   /* chosen by /chosen stdout-path, not a guess */
    struct fdt_region regs;
    uint32_t irq;          /* INTID / PLIC source, or FDT_IRQ_NONE */
    uint32_t reg_shift;    /* 0 if absent */
    uint32_t reg_io_width; /* bytes, 1 if absent */
    uint32_t clock_hz;     /* 0 if absent */
};

struct fdt_psci {
    bool present;                /* an "arm,psci*" node exists */
    enum fdt_psci_method method; /* NONE: no node or no usable method */
    bool v0_2;                   /* "arm,psci-0.2" or later: standard ids */
    uint32_t cpu_on_fn;          /* function id for CPU_ON, 0 if unknown */
};

struct fdt_chosen {
    const char *bootargs; /* into the blob, NUL-terminated; NULL if absent */
    size_t bootargs_len;
    bool has_initrd;
    paddr_t initrd_start, initrd_end; /* end is exclusive, as Linux reads it */
};

struct fdt_virtio_mmio {
    struct fdt_region regs;
    uint32_t irq; /* INTID / PLIC source, or FDT_IRQ_NONE */
};

struct fdt_platform {
    uint32_t boot_cpuid; /* header boot_cpuid_phys */

    uint32_t mem_count, mem_total; /* stored / found (non-empty banks) */
    struct fdt_region mem[FDT_MAX_MEM];

    /* Enabled CPUs in tree order: MPIDR affinity bits (arm) or hart id
     * (riscv), read from "reg". cpu_total counts every enabled CPU, so
     * cpu_total - cpu_count were left out. */
    uint32_t cpu_count, cpu_total;
    uint64_t cpu_hwid[AX_MAX_CPUS];
    uint64_t timebase_hz;   /* riscv /cpus "timebase-frequency", 0 if absent */
    const char *riscv_isa;  /* first enabled CPU's "riscv,isa", or NULL */
    size_t riscv_isa_len;

    struct fdt_intc intc;
    struct fdt_timer timer;
    struct fdt_uart uart;
    struct fdt_psci psci;

    /* /memreserve/ entries first, then /reserved-memory children's reg. */
    uint32_t reserved_count, reserved_total;
    struct fdt_region reserved[FDT_MAX_RESERVED];

    struct fdt_chosen chosen;

    uint32_t virtio_count, virtio_total;
    struct fdt_virtio_mmio virtio[FDT_MAX_VIRTIO];
};

/* Validates blob and fills *p. 0, or a negative AX_E* for a malformed tree
 * (then *p is incomplete and must not be used). */
int fdt_parse_platform(const void *blob, size_t maxlen, struct fdt_platform *p);

/* Whether a "riscv,isa" string ("rv64imafdch_zicsr...") lists the
 * single-letter extension ext (lower case) before its first '_'. */
bool fdt_riscv_isa_has(const char *isa, size_t len, char ext);

#endif
