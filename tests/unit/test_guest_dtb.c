/* Guest DTB generator tests: each generated tree is read back with our
 * FDT parser (platform summary and node by node) and checked by dtc.
 * The addresses are QEMU virt's, the layout a Linux guest gets from us. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ax/fdt.h"
#include "ax/guest_dtb.h"

#define BUFSZ 65536

static uint8_t buf[BUFSZ];

/* ---- helpers ---- */

static struct guest_dtb_desc base_desc(unsigned gic)
{
    struct guest_dtb_desc d = { 0 };
    d.nmem = 2;
    d.mem_base[0] = 0x40000000;
    d.mem_size[0] = 0x20000000;
    d.mem_base[1] = 0x100000000ULL;
    d.mem_size[1] = 0x40000000;
    d.ncpus = 4;
    d.gic_version = gic;
    d.gicd_base = 0x08000000;
    d.gicr_base = 0x080a0000;
    d.gicc_base = 0x08010000;
    d.has_uart = true;
    d.uart_base = 0x09000000;
    d.uart_irq = 33;
    d.bootargs = "console=ttyAMA0 earlycon rdinit=/sbin/init";
    d.has_initrd = true;
    d.initrd_start = 0x48000000;
    d.initrd_end = 0x48123457;
    d.nvirtio = 2;
    d.virtio[0].base = 0x0a000000;
    d.virtio[0].size = 0x200;
    d.virtio[0].irq = 48;
    d.virtio[1].base = 0x0a000200;
    d.virtio[1].size = 0x200;
    d.virtio[1].irq = 49;
    return d;
}

static size_t build(const struct guest_dtb_desc *d)
{
    size_t len = 0;
    const char *why = "unset";
    int r = guest_dtb_check(d, &why);
    if (r != 0)
        fail_msg("check failed (%d): %s", r, why);
    assert_null(why);
    assert_int_equal(guest_dtb_build(d, buf, sizeof(buf), &len), 0);
    assert_true(len > 0 && len <= sizeof(buf));
    assert_int_equal(fdt_be32(buf + 4), len);
    return len;
}

static struct fdt open_fdt(size_t len)
{
    struct fdt f;
    assert_int_equal(fdt_init(&f, buf, len), 0);
    return f;
}

static void assert_string_prop(const struct fdt *f, int node, const char *name,
                               const char *want)
{
    const char *s;
    assert_true(node >= 0);
    assert_int_equal(fdt_get_string(f, node, name, &s, NULL), 0);
    assert_string_equal(s, want);
}

static void assert_u32_prop(const struct fdt *f, int node, const char *name, uint32_t want)
{
    uint32_t v;
    assert_true(node >= 0);
    assert_int_equal(fdt_get_u32(f, node, name, &v), 0);
    assert_int_equal(v, want);
}

/* The "interrupts" cells of a node. */
static void assert_irq_cells(const struct fdt *f, int node, const uint32_t *want, size_t n)
{
    struct fdt_prop p;
    assert_true(node >= 0);
    assert_int_equal(fdt_get_prop(f, node, "interrupts", &p), 0);
    assert_int_equal(p.len, n * 4);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(fdt_be32(p.data + 4 * i), want[i]);
}

static void assert_reg(const struct fdt *f, int node, uint32_t idx, uint64_t addr,
                       uint64_t size)
{
    struct fdt_reg r;
    assert_true(node >= 0);
    assert_int_equal(fdt_get_reg(f, node, idx, &r), 0);
    assert_true(r.addr == addr);
    assert_true(r.size == size);
}

/* Runs dtc on the blob; returns the dts text (static) and fails the test
 * on a non-zero exit or any diagnostic: the trees we generate are clean
 * with the dtc we ship against, so a new warning is a regression. */
static const char *run_dtc(size_t len)
{
    static char out[BUFSZ];
    char dtb[] = "/tmp/ax-gdtb-XXXXXX";
    int fd = mkstemp(dtb);
    assert_true(fd >= 0);
    FILE *fp = fdopen(fd, "wb");
    assert_non_null(fp);
    assert_int_equal(fwrite(buf, 1, len, fp), len);
    fclose(fp);

    char cmd[256], dts[64], err[64];
    snprintf(dts, sizeof(dts), "%s.dts", dtb);
    snprintf(err, sizeof(err), "%s.err", dtb);
    snprintf(cmd, sizeof(cmd), "dtc -I dtb -O dts -o %s %s 2>%s", dts, dtb, err);
    int rc = system(cmd);

    FILE *e = fopen(err, "r");
    assert_non_null(e);
    size_t n = fread(out, 1, sizeof(out) - 1, e);
    out[n] = 0;
    fclose(e);
    remove(err);
    remove(dtb);
    if (rc != 0 || strstr(out, "ERROR") || strstr(out, "Warning")) {
        remove(dts);
        fail_msg("dtc exit %d, diagnostics:\n%s", rc, out);
    }
    FILE *d = fopen(dts, "r");
    assert_non_null(d);
    n = fread(out, 1, sizeof(out) - 1, d);
    out[n] = 0;
    fclose(d);
    remove(dts);
    return out;
}

/* ---- what Linux and our own boot code read ---- */

static void check_platform_common(const struct guest_dtb_desc *d, size_t len,
                                  struct fdt_platform *p)
{
    assert_int_equal(fdt_parse_platform(buf, len, p), 0);

    assert_int_equal(p->mem_count, d->nmem);
    for (unsigned i = 0; i < d->nmem; i++) {
        assert_true(p->mem[i].base == d->mem_base[i]);
        assert_true(p->mem[i].size == d->mem_size[i]);
    }
    assert_int_equal(p->cpu_count, d->ncpus);
    assert_int_equal(p->cpu_total, d->ncpus);
    for (unsigned i = 0; i < d->ncpus; i++)
        assert_true(p->cpu_hwid[i] == i);

    assert_true(p->psci.present);
    assert_int_equal(p->psci.method, FDT_PSCI_HVC);
    assert_true(p->psci.v0_2);
    assert_int_equal(p->psci.cpu_on_fn, FDT_PSCI_0_2_CPU_ON_64);

    assert_true(p->timer.present);
    assert_int_equal(p->timer.sec_phys_intid, 29);
    assert_int_equal(p->timer.phys_intid, 30);
    assert_int_equal(p->timer.virt_intid, 27);
    assert_int_equal(p->timer.hyp_intid, 26);
    assert_int_equal(p->timer.clock_hz, 0);

    assert_int_equal(p->intc.phandle, 1);
    assert_true(p->intc.gicd.base == d->gicd_base);

    assert_int_equal(p->uart.kind, d->has_uart ? FDT_UART_PL011 : FDT_UART_NONE);
    if (d->has_uart) {
        assert_true(p->uart.from_stdout_path);
        assert_true(p->uart.regs.base == d->uart_base);
        assert_true(p->uart.regs.size == GUEST_DTB_UART_SIZE);
        assert_int_equal(p->uart.irq, d->uart_irq);
    }

    if (d->bootargs) {
        assert_non_null(p->chosen.bootargs);
        assert_string_equal(p->chosen.bootargs, d->bootargs);
    } else {
        assert_null(p->chosen.bootargs);
    }
    assert_int_equal(p->chosen.has_initrd, d->has_initrd);
    if (d->has_initrd) {
        assert_true(p->chosen.initrd_start == d->initrd_start);
        assert_true(p->chosen.initrd_end == d->initrd_end);
    }

    assert_int_equal(p->virtio_count, d->nvirtio);
    for (unsigned i = 0; i < d->nvirtio; i++) {
        assert_true(p->virtio[i].regs.base == d->virtio[i].base);
        assert_true(p->virtio[i].regs.size == d->virtio[i].size);
        assert_int_equal(p->virtio[i].irq, d->virtio[i].irq);
    }
    assert_int_equal(p->reserved_count, 0);
}

/* Node-level details Linux depends on that the platform summary skips. */
static void check_nodes(const struct guest_dtb_desc *d, size_t len)
{
    struct fdt f = open_fdt(len);
    int root = fdt_first_node(&f, NULL);
    assert_int_equal(fdt_address_cells(&f, root), 2);
    assert_int_equal(fdt_size_cells(&f, root), 2);
    assert_string_prop(&f, root, "compatible", "linux,dummy-virt");
    assert_string_prop(&f, root, "model", "AxVisor-C VM");
    assert_u32_prop(&f, root, "interrupt-parent", 1);

    int cpus = fdt_path_offset(&f, "/cpus");
    assert_int_equal(fdt_address_cells(&f, cpus), 1);
    assert_int_equal(fdt_size_cells(&f, cpus), 0);
    int n = 0;
    for (int c = fdt_first_child(&f, cpus); c >= 0; c = fdt_next_sibling(&f, c), n++) {
        char name[16];
        snprintf(name, sizeof(name), "cpu@%x", n);
        assert_string_equal(fdt_node_name(&f, c, NULL), name);
        assert_string_prop(&f, c, "device_type", "cpu");
        assert_string_prop(&f, c, "enable-method", "psci");
        assert_int_equal(fdt_node_is_compatible(&f, c, "arm,armv8"), 1);
        assert_u32_prop(&f, c, "reg", (uint32_t)n);
    }
    assert_int_equal(n, (int)d->ncpus);

    for (unsigned i = 0; i < d->nmem; i++) {
        char path[32];
        snprintf(path, sizeof(path), "/memory@%llx", (unsigned long long)d->mem_base[i]);
        int m = fdt_path_offset(&f, path);
        assert_string_prop(&f, m, "device_type", "memory");
        assert_reg(&f, m, 0, d->mem_base[i], d->mem_size[i]);
    }

    int psci = fdt_path_offset(&f, "/psci");
    assert_string_prop(&f, psci, "method", "hvc");
    struct fdt_prop p;
    assert_int_equal(fdt_get_prop(&f, psci, "compatible", &p), 0);
    assert_int_equal(fdt_stringlist_count(&p), 2);
    const char *s;
    assert_int_equal(fdt_stringlist_get(&p, 0, &s, NULL), 0);
    assert_string_equal(s, "arm,psci-1.0");
    assert_int_equal(fdt_stringlist_get(&p, 1, &s, NULL), 0);
    assert_string_equal(s, "arm,psci-0.2");

    int timer = fdt_path_offset(&f, "/timer");
    assert_int_equal(fdt_node_is_compatible(&f, timer, "arm,armv8-timer"), 1);
    assert_int_equal(fdt_get_prop(&f, timer, "always-on", &p), 0);
    assert_int_equal(p.len, 0);
    uint32_t fl = d->gic_version == 2 ? (((1U << d->ncpus) - 1) << 8) | 4 : 4;
    uint32_t tcells[] = { 1, 13, fl, 1, 14, fl, 1, 11, fl, 1, 10, fl };
    assert_irq_cells(&f, timer, tcells, ARRAY_SIZE(tcells));

    char path[48];
    snprintf(path, sizeof(path), "/intc@%llx", (unsigned long long)d->gicd_base);
    int gic = fdt_path_offset(&f, path);
    assert_true(gic >= 0);
    assert_u32_prop(&f, gic, "#interrupt-cells", 3);
    assert_int_equal(fdt_get_prop(&f, gic, "interrupt-controller", &p), 0);
    assert_int_equal(p.len, 0);

    if (d->has_uart) {
        snprintf(path, sizeof(path), "/pl011@%llx", (unsigned long long)d->uart_base);
        int u = fdt_path_offset(&f, path);
        int chosen = fdt_path_offset(&f, "/chosen");
        assert_string_prop(&f, chosen, "stdout-path", path);
        assert_int_equal(fdt_node_is_compatible(&f, u, "arm,pl011"), 1);
        assert_int_equal(fdt_node_is_compatible(&f, u, "arm,primecell"), 1);
        uint32_t ucells[] = { 0, d->uart_irq - 32, 4 };
        assert_irq_cells(&f, u, ucells, 3);
        assert_int_equal(fdt_get_prop(&f, u, "clock-names", &p), 0);
        assert_int_equal(fdt_stringlist_count(&p), 2);
        assert_true(fdt_stringlist_contains(&p, "uartclk"));
        assert_true(fdt_stringlist_contains(&p, "apb_pclk"));
        /* Both clocks are the 24 MHz fixed clock. */
        assert_int_equal(fdt_get_prop(&f, u, "clocks", &p), 0);
        assert_int_equal(p.len, 8);
        int clk = fdt_node_by_phandle(&f, fdt_be32(p.data));
        assert_int_equal(fdt_node_by_phandle(&f, fdt_be32(p.data + 4)), clk);
        assert_int_equal(clk, fdt_path_offset(&f, "/apb-pclk"));
        assert_int_equal(fdt_node_is_compatible(&f, clk, "fixed-clock"), 1);
        assert_u32_prop(&f, clk, "#clock-cells", 0);
        assert_u32_prop(&f, clk, "clock-frequency", 24000000);
    } else {
        assert_int_equal(fdt_find_compatible(&f, -1, "arm,pl011"), -AX_ENOENT);
        assert_int_equal(fdt_path_offset(&f, "/apb-pclk"), -AX_ENOENT);
    }

    for (unsigned i = 0; i < d->nvirtio; i++) {
        snprintf(path, sizeof(path), "/virtio_mmio@%llx", (unsigned long long)d->virtio[i].base);
        int v = fdt_path_offset(&f, path);
        assert_int_equal(fdt_node_is_compatible(&f, v, "virtio,mmio"), 1);
        assert_int_equal(fdt_get_prop(&f, v, "dma-coherent", &p), 0);
        uint32_t vcells[] = { 0, d->virtio[i].irq - 32, 1 };
        assert_irq_cells(&f, v, vcells, 3);
    }
}

/* ---- whole trees ---- */

static void test_gicv3_tree(void **state)
{
    (void)state;
    struct guest_dtb_desc d = base_desc(3);
    size_t len = build(&d);
    struct fdt_platform p;
    check_platform_common(&d, len, &p);
    assert_int_equal(p.intc.kind, FDT_INTC_GICV3);
    assert_true(p.intc.gicd.size == GUEST_DTB_GICV3_GICD_SIZE);
    assert_int_equal(p.intc.gicr_count, 1);
    assert_int_equal(p.intc.gicr_total, 1);
    assert_true(p.intc.gicr[0].base == d.gicr_base);
    assert_true(p.intc.gicr[0].size == 4 * 0x20000);
    assert_false(p.intc.has_gicc);
    check_nodes(&d, len);

    struct fdt f = open_fdt(len);
    int gic = fdt_path_offset(&f, "/intc@8000000");
    assert_int_equal(fdt_node_is_compatible(&f, gic, "arm,gic-v3"), 1);
    assert_u32_prop(&f, gic, "#redistributor-regions", 1);
    assert_int_equal(fdt_reg_count(&f, gic), 2);

    const char *dts = run_dtc(len);
    assert_non_null(strstr(dts, "compatible = \"arm,gic-v3\";"));
    assert_non_null(strstr(dts, "reg = <0x00 0x8000000 0x00 0x10000 0x00 0x80a0000 0x00 0x80000>;"));
    assert_non_null(strstr(dts, "stdout-path = \"/pl011@9000000\";"));
    assert_non_null(strstr(dts, "linux,initrd-end = <0x00 0x48123457>;"));
    assert_non_null(strstr(dts, "interrupts = <0x01 0x0d 0x04 0x01 0x0e 0x04 0x01 0x0b 0x04 0x01 0x0a 0x04>;"));
}

static void test_gicv2_tree(void **state)
{
    (void)state;
    struct guest_dtb_desc d = base_desc(2);
    size_t len = build(&d);
    struct fdt_platform p;
    check_platform_common(&d, len, &p);
    assert_int_equal(p.intc.kind, FDT_INTC_GICV2);
    assert_true(p.intc.gicd.size == GUEST_DTB_GICV2_GICD_SIZE);
    assert_true(p.intc.has_gicc);
    assert_true(p.intc.gicc.base == d.gicc_base);
    assert_true(p.intc.gicc.size == GUEST_DTB_GICV2_GICC_SIZE);
    assert_false(p.intc.has_gich);
    assert_int_equal(p.intc.gicr_count, 0);
    check_nodes(&d, len);

    struct fdt f = open_fdt(len);
    int gic = fdt_path_offset(&f, "/intc@8000000");
    assert_int_equal(fdt_node_is_compatible(&f, gic, "arm,cortex-a15-gic"), 1);
    assert_int_equal(fdt_get_prop(&f, gic, "#redistributor-regions", &(struct fdt_prop){ 0 }),
                     -AX_ENOENT);

    const char *dts = run_dtc(len);
    assert_non_null(strstr(dts, "reg = <0x00 0x8000000 0x00 0x1000 0x00 0x8010000 0x00 0x2000>;"));
    /* PPI flags carry the 4-CPU target mask */
    assert_non_null(strstr(dts, "0x01 0x0d 0xf04 0x01 0x0e 0xf04"));
}

/* GICv2 PPI target masks for 1 and 8 CPUs, and GICD size overrides. */
static void test_gicv2_cpu_masks(void **state)
{
    (void)state;
    unsigned counts[] = { 1, 2, 8 };
    for (size_t i = 0; i < ARRAY_SIZE(counts); i++) {
        struct guest_dtb_desc d = base_desc(2);
        d.ncpus = counts[i];
        d.gicd_size = 0x10000;
        d.gicc_base = 0x08010000;
        size_t len = build(&d);
        struct fdt_platform p;
        check_platform_common(&d, len, &p);
        assert_true(p.intc.gicd.size == 0x10000);
        check_nodes(&d, len);
        run_dtc(len);
    }
}

/* No UART, no initrd, no bootargs, no virtio, one CPU, one bank. */
static void test_minimal_tree(void **state)
{
    (void)state;
    struct guest_dtb_desc d = base_desc(3);
    d.nmem = 1;
    d.ncpus = 1;
    d.has_uart = false;
    d.bootargs = NULL;
    d.has_initrd = false;
    d.nvirtio = 0;
    size_t len = build(&d);
    struct fdt_platform p;
    check_platform_common(&d, len, &p);
    assert_true(p.intc.gicr[0].size == 0x20000);
    check_nodes(&d, len);

    struct fdt f = open_fdt(len);
    int chosen = fdt_path_offset(&f, "/chosen");
    assert_true(chosen >= 0);
    assert_int_equal(fdt_first_prop(&f, chosen, &(struct fdt_prop){ 0 }), -AX_ENOENT);
    const char *dts = run_dtc(len);
    assert_null(strstr(dts, "pl011"));
    assert_null(strstr(dts, "virtio"));
}

/* Everything at its maximum still fits and reads back. */
static void test_maximal_tree(void **state)
{
    (void)state;
    static char args[GUEST_DTB_MAX_BOOTARGS];
    memset(args, 'x', sizeof(args) - 1);
    args[sizeof(args) - 1] = 0;

    struct guest_dtb_desc d = base_desc(3);
    d.ncpus = GUEST_DTB_MAX_CPUS;
    d.nmem = GUEST_DTB_MAX_MEM;
    for (unsigned i = 0; i < d.nmem; i++) {
        d.mem_base[i] = 0x40000000ULL * (i + 1);
        d.mem_size[i] = 0x40000000ULL;
    }
    d.nvirtio = GUEST_DTB_MAX_VIRTIO;
    for (unsigned i = 0; i < d.nvirtio; i++) {
        d.virtio[i].base = 0x0a000000 + 0x200 * i;
        d.virtio[i].size = 0x200;
        d.virtio[i].irq = 48 + i;
    }
    d.gicr_base = 0x080a0000;
    d.bootargs = args;
    d.uart_irq = 1019;
    d.initrd_start = 0x40000000ULL * GUEST_DTB_MAX_MEM;
    d.initrd_end = 0x40000000ULL * (GUEST_DTB_MAX_MEM + 1); /* a whole bank */
    size_t len = build(&d);
    struct fdt_platform p;
    check_platform_common(&d, len, &p);
    assert_true(p.intc.gicr[0].size == 8 * 0x20000);
    check_nodes(&d, len);
    run_dtc(len);
}

/* Same description, same bytes; and buffer boundaries are respected. */
static void test_buffer_sizes(void **state)
{
    (void)state;
    struct guest_dtb_desc d = base_desc(3);
    size_t len = build(&d);
    static uint8_t ref[BUFSZ];
    memcpy(ref, buf, len);

    for (size_t size = 0; size <= len; size++) {
        uint8_t *h = malloc(size ? size : 1); /* exact size: ASan guards the end */
        assert_non_null(h);
        size_t out = 777;
        int r = guest_dtb_build(&d, h, size, &out);
        if (size < len) {
            assert_int_equal(r, -AX_ENOSPC);
            assert_int_equal(out, 777);
        } else {
            assert_int_equal(r, 0);
            assert_int_equal(out, len);
            assert_memory_equal(h, ref, len);
        }
        free(h);
    }
    assert_int_equal(guest_dtb_build(&d, NULL, BUFSZ, NULL), -AX_EINVAL);
    assert_int_equal(guest_dtb_build(&d, buf, BUFSZ, NULL), 0);
}

/* ---- validation ---- */

struct bad_case {
    const char *what;
    void (*mutate)(struct guest_dtb_desc *d);
    int err;
};

static void m_nmem0(struct guest_dtb_desc *d) { d->nmem = 0; }
static void m_nmem9(struct guest_dtb_desc *d) { d->nmem = GUEST_DTB_MAX_MEM + 1; }
static void m_memsize0(struct guest_dtb_desc *d) { d->mem_size[1] = 0; }
static void m_memwrap(struct guest_dtb_desc *d) { d->mem_base[1] = UINT64_MAX - 0xfff; }
static void m_memoverlap(struct guest_dtb_desc *d) { d->mem_base[1] = 0x5fffffff; }
static void m_cpus0(struct guest_dtb_desc *d) { d->ncpus = 0; }
static void m_cpus9(struct guest_dtb_desc *d) { d->ncpus = GUEST_DTB_MAX_CPUS + 1; }
static void m_gic1(struct guest_dtb_desc *d) { d->gic_version = 1; }
static void m_gic4(struct guest_dtb_desc *d) { d->gic_version = 4; }
static void m_gicdsmall(struct guest_dtb_desc *d) { d->gicd_size = 0x1000; } /* v3 */
static void m_gicdmem(struct guest_dtb_desc *d) { d->gicd_base = 0x40000000; }
static void m_gicrgicd(struct guest_dtb_desc *d) { d->gicr_base = 0x08008000; }
static void m_gicruart(struct guest_dtb_desc *d) { d->uart_base = 0x08100000; } /* 4 CPUs: GICR to 0x8120000 */
static void m_uartirq31(struct guest_dtb_desc *d) { d->uart_irq = 31; }
static void m_uartirq1020(struct guest_dtb_desc *d) { d->uart_irq = 1020; }
static void m_uartwrap(struct guest_dtb_desc *d) { d->uart_base = UINT64_MAX - 0x7ff; }
static void m_virtio9(struct guest_dtb_desc *d) { d->nvirtio = GUEST_DTB_MAX_VIRTIO + 1; }
static void m_virtiosize0(struct guest_dtb_desc *d) { d->virtio[1].size = 0; }
static void m_virtioirq(struct guest_dtb_desc *d) { d->virtio[0].irq = 16; }
static void m_virtiodupirq(struct guest_dtb_desc *d) { d->virtio[1].irq = 48; }
static void m_virtiouartirq(struct guest_dtb_desc *d) { d->virtio[1].irq = 33; }
static void m_virtiooverlap(struct guest_dtb_desc *d) { d->virtio[1].base = 0x0a0001ff; }
static void m_virtiomem(struct guest_dtb_desc *d) { d->virtio[0].base = 0x13ffffe00ULL + 0x100; }
static void m_bootargs(struct guest_dtb_desc *d)
{
    static char args[GUEST_DTB_MAX_BOOTARGS + 1];
    memset(args, 'y', GUEST_DTB_MAX_BOOTARGS);
    d->bootargs = args;
}
static void m_initrdempty(struct guest_dtb_desc *d) { d->initrd_end = d->initrd_start; }
static void m_initrdback(struct guest_dtb_desc *d) { d->initrd_end = d->initrd_start - 1; }
static void m_initrdout(struct guest_dtb_desc *d)
{
    d->initrd_start = 0x20000000;
    d->initrd_end = 0x20001000;
}
static void m_initrdstraddle(struct guest_dtb_desc *d)
{
    d->initrd_start = 0x5ffff000; /* bank 0 ends at 0x60000000 */
    d->initrd_end = 0x60001000;
}

static void test_validation(void **state)
{
    (void)state;
    static const struct bad_case cases[] = {
        { "nmem 0", m_nmem0, -AX_EINVAL },
        { "nmem too big", m_nmem9, -AX_EINVAL },
        { "bank size 0", m_memsize0, -AX_EINVAL },
        { "bank wraps", m_memwrap, -AX_ERANGE },
        { "banks overlap", m_memoverlap, -AX_EEXIST },
        { "ncpus 0", m_cpus0, -AX_EINVAL },
        { "ncpus too big", m_cpus9, -AX_EINVAL },
        { "gic 1", m_gic1, -AX_EINVAL },
        { "gic 4", m_gic4, -AX_EINVAL },
        { "gicd too small", m_gicdsmall, -AX_EINVAL },
        { "gicd in RAM", m_gicdmem, -AX_EEXIST },
        { "gicr over gicd", m_gicrgicd, -AX_EEXIST },
        { "uart in gicr", m_gicruart, -AX_EEXIST },
        { "uart irq PPI", m_uartirq31, -AX_EINVAL },
        { "uart irq special", m_uartirq1020, -AX_EINVAL },
        { "uart wraps", m_uartwrap, -AX_ERANGE },
        { "nvirtio too big", m_virtio9, -AX_EINVAL },
        { "virtio size 0", m_virtiosize0, -AX_EINVAL },
        { "virtio irq SGI", m_virtioirq, -AX_EINVAL },
        { "virtio irqs shared", m_virtiodupirq, -AX_EEXIST },
        { "virtio irq = uart", m_virtiouartirq, -AX_EEXIST },
        { "virtio overlap", m_virtiooverlap, -AX_EEXIST },
        { "virtio in RAM", m_virtiomem, -AX_EEXIST },
        { "bootargs too long", m_bootargs, -AX_ERANGE },
        { "initrd empty", m_initrdempty, -AX_EINVAL },
        { "initrd backwards", m_initrdback, -AX_EINVAL },
        { "initrd outside RAM", m_initrdout, -AX_ERANGE },
        { "initrd straddles bank", m_initrdstraddle, -AX_ERANGE },
    };
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        for (unsigned gic = 2; gic <= 3; gic++) {
            struct guest_dtb_desc d = base_desc(gic);
            cases[i].mutate(&d);
            if (gic == 2 && (cases[i].mutate == m_gicdsmall || cases[i].mutate == m_gicrgicd ||
                             cases[i].mutate == m_gicruart))
                continue; /* v3-only layouts */
            const char *why = NULL;
            int r = guest_dtb_check(&d, &why);
            if (r != cases[i].err)
                fail_msg("%s (gic v%u): got %d, want %d", cases[i].what, gic, r, cases[i].err);
            assert_non_null(why);
            assert_true(strlen(why) > 5);
            memset(buf, 0x5a, 64);
            size_t out = 99;
            assert_int_equal(guest_dtb_build(&d, buf, sizeof(buf), &out), cases[i].err);
            assert_int_equal(out, 99);
            assert_int_equal(buf[0], 0x5a); /* nothing written */
        }
    }
    const char *why = NULL;
    assert_int_equal(guest_dtb_check(NULL, &why), -AX_EINVAL);
    assert_non_null(why);
    assert_int_equal(guest_dtb_check(NULL, NULL), -AX_EINVAL);
    assert_int_equal(guest_dtb_build(NULL, buf, sizeof(buf), NULL), -AX_EINVAL);
}

/* GICv2's CPU interface is checked against the distributor, and the v3
 * redistributor fields are ignored for v2 (and vice versa). */
static void test_validation_gic_layouts(void **state)
{
    (void)state;
    struct guest_dtb_desc d = base_desc(2);
    d.gicc_base = 0x08000800; /* inside the 4 KiB GICD */
    assert_int_equal(guest_dtb_check(&d, NULL), -AX_EEXIST);
    d.gicc_base = 0x08001000;
    d.gicr_base = 0x40000000; /* unused by v2: no overlap report */
    assert_int_equal(guest_dtb_check(&d, NULL), 0);

    d = base_desc(3);
    d.gicc_base = 0x40000000; /* unused by v3 */
    assert_int_equal(guest_dtb_check(&d, NULL), 0);
    /* the redistributor span grows with the CPU count */
    d.uart_base = 0x08120000;
    d.ncpus = 4;
    assert_int_equal(guest_dtb_check(&d, NULL), 0);
    d.ncpus = 5;
    assert_int_equal(guest_dtb_check(&d, NULL), -AX_EEXIST);
    /* regions ending exactly at 2^64 are fine */
    d = base_desc(3);
    d.virtio[1].base = UINT64_MAX - 0x1ff;
    assert_int_equal(guest_dtb_check(&d, NULL), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gicv3_tree),
        cmocka_unit_test(test_gicv2_tree),
        cmocka_unit_test(test_gicv2_cpu_masks),
        cmocka_unit_test(test_minimal_tree),
        cmocka_unit_test(test_maximal_tree),
        cmocka_unit_test(test_buffer_sizes),
        cmocka_unit_test(test_validation),
        cmocka_unit_test(test_validation_gic_layouts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
