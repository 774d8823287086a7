/* libFuzzer harness for the FDT parser: arbitrary bytes go through
 * fdt_check, fdt_parse_platform and a walk that calls every accessor on
 * every node. The blob is placed at an odd address to catch aligned loads.
 * A second pass patches totalsize to the input length, so mutations that
 * grow or shrink a valid seed still reach the structure parser. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ax/fdt.h"

#define MAX_NODES 2048
#define MAX_SCANS 48 /* nodes that get the O(tree) lookups, to keep exec/s up */

static volatile uint64_t sink; /* keeps reads from being optimised away */

static void touch(const void *p, size_t len)
{
    const uint8_t *b = p;
    for (size_t i = 0; i < len; i++)
        sink += b[i];
}

static void visit_props(const struct fdt *f, int node, bool scans)
{
    struct fdt_prop p;
    int n = 0;
    for (int r = fdt_first_prop(f, node, &p); r == 0 && n < 4096;
         r = fdt_next_prop(f, &p), n++) {
        touch(p.name, strlen(p.name));
        touch(p.data, p.len);
        int c = fdt_stringlist_count(&p);
        for (int i = 0; i < c && i < 8; i++) {
            const char *s;
            size_t len;
            if (fdt_stringlist_get(&p, (uint32_t)i, &s, &len) == 0)
                touch(s, len + 1);
        }
        sink += fdt_stringlist_contains(&p, "virtio,mmio");
        uint64_t v;
        for (uint32_t cell = 0; cell < 3; cell++)
            if (fdt_prop_cells(&p, cell, cell, &v) == 0)
                sink += v;
        if (p.len == 4 && scans)
            sink += (uint64_t)fdt_node_by_phandle(f, fdt_be32(p.data));
    }
}

static void visit_node(const struct fdt *f, int node, int index)
{
    size_t len;
    const char *name = fdt_node_name(f, node, &len);
    if (name)
        touch(name, len + 1);
    bool scans = index < MAX_SCANS;
    visit_props(f, node, scans);

    struct fdt_reg r;
    for (uint32_t i = 0; i < 4 && scans; i++) {
        if (fdt_get_reg(f, node, i, &r) == 0)
            sink += r.addr + r.size;
        if (fdt_get_reg_phys(f, node, i, &r) == 0)
            sink += r.addr + r.size;
    }
    if (scans)
        sink += (uint64_t)fdt_reg_count(f, node);
    sink += (uint64_t)fdt_address_cells(f, node) +
            (uint64_t)fdt_size_cells(f, node) + fdt_get_phandle(f, node) +
            (uint64_t)fdt_node_is_enabled(f, node) +
            (uint64_t)fdt_node_is_compatible(f, node, "arm,gic-v3");
    const char *s;
    if (fdt_get_string(f, node, "status", &s, &len) == 0)
        touch(s, len + 1);
    uint32_t v32;
    uint64_t v64;
    if (fdt_get_u32(f, node, "phandle", &v32) == 0)
        sink += v32;
    if (fdt_get_u64(f, node, "reg", &v64) == 0)
        sink += v64;

    int k = 0;
    for (int c = fdt_first_child(f, node); c >= 0 && k < 64; c = fdt_next_sibling(f, c), k++)
        sink += (uint64_t)c;
    if (scans) {
        int parent = fdt_parent(f, node);
        /* Look the node up again by name under its parent. */
        if (parent >= 0 && name)
            sink += (uint64_t)fdt_subnode(f, parent, name, len);
    }
}

static void walk_all(const struct fdt *f)
{
    int depth, n, count = 0;
    for (n = fdt_first_node(f, &depth); n >= 0 && count < MAX_NODES;
         n = fdt_next_node(f, n, &depth), count++)
        visit_node(f, n, count);

    for (n = fdt_find_compatible(f, -1, "virtio,mmio"), count = 0; n >= 0 && count < MAX_NODES;
         n = fdt_find_compatible(f, n, "virtio,mmio"), count++)
        sink += (uint64_t)n;

    static const char *const paths[] = { "/", "/cpus/cpu@0", "/cpus/cpu", "/chosen",
                                         "serial0", "serial0/x", "/soc//serial" };
    for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
        sink += (uint64_t)fdt_path_offset(f, paths[i]);

    struct fdt_reg r;
    for (int i = 0; i < fdt_memrsv_count(f) && i < 64; i++)
        if (fdt_memrsv_get(f, (uint32_t)i, &r) == 0)
            sink += r.addr + r.size;
}

static void run(const uint8_t *blob, size_t size)
{
    struct fdt_platform p;
    if (fdt_parse_platform(blob, size, &p) == 0) {
        if (p.chosen.bootargs)
            touch(p.chosen.bootargs, p.chosen.bootargs_len + 1);
        if (p.riscv_isa) {
            touch(p.riscv_isa, p.riscv_isa_len + 1);
            sink += fdt_riscv_isa_has(p.riscv_isa, p.riscv_isa_len, 'h');
        }
        sink += p.mem_count + p.cpu_count + p.virtio_count + p.uart.irq;
    }
    struct fdt f;
    if (fdt_init(&f, blob, size) == 0)
        walk_all(&f);
    sink += (uint64_t)fdt_check(blob, size / 2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *buf = malloc(size + 1);
    if (!buf)
        return 0;
    uint8_t *blob = buf + 1;
    memcpy(blob, data, size);
    run(blob, size);

    if (size >= 40 && fdt_be32(blob) == FDT_MAGIC) {
        blob[4] = (uint8_t)(size >> 24);
        blob[5] = (uint8_t)(size >> 16);
        blob[6] = (uint8_t)(size >> 8);
        blob[7] = (uint8_t)size;
        run(blob, size);
    }
    free(buf);
    return 0;
}
