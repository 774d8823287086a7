/* Guest device tree for aarch64 Linux.
 *
 * The description is validated in full first, so the writer sees only
 * sane values; the tree is then emitted call after call without checks,
 * relying on the writer's sticky error, and fdt_w_finish() reports the
 * first failure (in practice only -AX_ENOSPC). */
#include "ax/guest_dtb.h"
#include "ax/fdt_writer.h"
#include "ax/string.h"

#define PH_GIC 1U
#define PH_CLK 2U

#define SPI_FIRST 32U
#define SPI_LAST 1019U

/* Architected timer PPIs, as offsets from INTID 16 (the DT's PPI numbers). */
#define PPI_SEC_PHYS 13U /* INTID 29 */
#define PPI_PHYS 14U     /* INTID 30 */
#define PPI_VIRT 11U     /* INTID 27 */
#define PPI_HYP 10U      /* INTID 26 */

#define NAME_MAX_LEN 40 /* "virtio_mmio@" + 16 hex digits + NUL fits */

/* ---- Validation ---- */

struct region {
    uint64_t base, size;
    const char *overlap_why;
};

/* RAM banks, GICD, GICR or GICC, UART, virtio devices. */
#define MAX_REGIONS (GUEST_DTB_MAX_MEM + 3 + GUEST_DTB_MAX_VIRTIO)

static int reject(const char **why, int err, const char *msg)
{
    if (why)
        *why = msg;
    return err;
}

static bool wraps(uint64_t base, uint64_t size)
{
    return size != 0 && size - 1 > UINT64_MAX - base;
}

static bool overlap(const struct region *a, const struct region *b)
{
    /* Neither wraps (checked before): compare inclusive last bytes. */
    return a->base <= b->base + (b->size - 1) && b->base <= a->base + (a->size - 1);
}

static bool is_spi(uint32_t intid)
{
    return intid >= SPI_FIRST && intid <= SPI_LAST;
}

static uint64_t gicd_size(const struct guest_dtb_desc *d)
{
    if (d->gicd_size)
        return d->gicd_size;
    return d->gic_version == 3 ? GUEST_DTB_GICV3_GICD_SIZE : GUEST_DTB_GICV2_GICD_SIZE;
}

static int check_mem(const struct guest_dtb_desc *d, const char **why)
{
    if (d->nmem == 0 || d->nmem > GUEST_DTB_MAX_MEM)
        return reject(why, -AX_EINVAL, "nmem must be 1..GUEST_DTB_MAX_MEM");
    for (unsigned i = 0; i < d->nmem; i++) {
        if (d->mem_size[i] == 0)
            return reject(why, -AX_EINVAL, "a RAM bank has size 0");
        if (wraps(d->mem_base[i], d->mem_size[i]))
            return reject(why, -AX_ERANGE, "a RAM bank wraps past 2^64");
    }
    return 0;
}

static int check_gic(const struct guest_dtb_desc *d, const char **why)
{
    if (d->ncpus == 0 || d->ncpus > GUEST_DTB_MAX_CPUS)
        return reject(why, -AX_EINVAL, "ncpus must be 1..GUEST_DTB_MAX_CPUS");
    if (d->gic_version != 2 && d->gic_version != 3)
        return reject(why, -AX_EINVAL, "gic_version must be 2 or 3");
    uint64_t min = d->gic_version == 3 ? GUEST_DTB_GICV3_GICD_SIZE
                                       : GUEST_DTB_GICV2_GICD_SIZE;
    if (d->gicd_size && d->gicd_size < min)
        return reject(why, -AX_EINVAL, "gicd_size is smaller than the distributor frame");
    return 0;
}

static int check_devices(const struct guest_dtb_desc *d, const char **why)
{
    if (d->has_uart && !is_spi(d->uart_irq))
        return reject(why, -AX_EINVAL, "uart_irq must be an SPI INTID (32..1019)");
    if (d->nvirtio > GUEST_DTB_MAX_VIRTIO)
        return reject(why, -AX_EINVAL, "nvirtio must be 0..GUEST_DTB_MAX_VIRTIO");
    for (unsigned i = 0; i < d->nvirtio; i++) {
        uint32_t irq = d->virtio[i].irq;
        if (d->virtio[i].size == 0)
            return reject(why, -AX_EINVAL, "a virtio device has size 0");
        if (!is_spi(irq))
            return reject(why, -AX_EINVAL, "a virtio irq must be an SPI INTID (32..1019)");
        /* One line per device: edge-triggered virtio lines cannot be shared. */
        if (d->has_uart && irq == d->uart_irq)
            return reject(why, -AX_EEXIST, "a virtio irq equals uart_irq");
        for (unsigned j = 0; j < i; j++)
            if (d->virtio[j].irq == irq)
                return reject(why, -AX_EEXIST, "two virtio devices share an irq");
    }
    return 0;
}

static int check_chosen(const struct guest_dtb_desc *d, const char **why)
{
    if (d->bootargs && strnlen(d->bootargs, GUEST_DTB_MAX_BOOTARGS) >= GUEST_DTB_MAX_BOOTARGS)
        return reject(why, -AX_ERANGE, "bootargs longer than GUEST_DTB_MAX_BOOTARGS - 1");
    if (!d->has_initrd)
        return 0;
    if (d->initrd_start >= d->initrd_end)
        return reject(why, -AX_EINVAL, "initrd_start must be below initrd_end");
    for (unsigned i = 0; i < d->nmem; i++) {
        uint64_t lo = d->mem_base[i], last = lo + (d->mem_size[i] - 1);
        if (d->initrd_start >= lo && d->initrd_end - 1 <= last)
            return 0;
    }
    return reject(why, -AX_ERANGE, "the initrd is not inside one RAM bank");
}

static unsigned collect_regions(const struct guest_dtb_desc *d, struct region *r)
{
    unsigned n = 0;
    for (unsigned i = 0; i < d->nmem; i++)
        r[n++] = (struct region){ d->mem_base[i], d->mem_size[i],
                                  "a RAM bank overlaps another bank" };
    r[n++] = (struct region){ d->gicd_base, gicd_size(d),
                              "the GIC distributor overlaps RAM" };
    if (d->gic_version == 3)
        r[n++] = (struct region){ d->gicr_base, (uint64_t)d->ncpus * GUEST_DTB_GICR_STRIDE,
                                  "the GIC redistributors overlap RAM or the GICD" };
    else
        r[n++] = (struct region){ d->gicc_base, GUEST_DTB_GICV2_GICC_SIZE,
                                  "the GIC CPU interface overlaps RAM or the GICD" };
    if (d->has_uart)
        r[n++] = (struct region){ d->uart_base, GUEST_DTB_UART_SIZE,
                                  "the UART overlaps RAM or the GIC" };
    for (unsigned i = 0; i < d->nvirtio; i++)
        r[n++] = (struct region){ d->virtio[i].base, d->virtio[i].size,
                                  "a virtio device overlaps RAM, the GIC, the UART "
                                  "or another virtio device" };
    return n;
}

static int check_regions(const struct guest_dtb_desc *d, const char **why)
{
    struct region r[MAX_REGIONS];
    unsigned n = collect_regions(d, r);
    for (unsigned i = 0; i < n; i++) {
        if (wraps(r[i].base, r[i].size))
            return reject(why, -AX_ERANGE, "a device region wraps past 2^64");
        for (unsigned j = 0; j < i; j++)
            if (overlap(&r[i], &r[j]))
                return reject(why, -AX_EEXIST, r[i].overlap_why);
    }
    return 0;
}

int guest_dtb_check(const struct guest_dtb_desc *d, const char **why)
{
    int r;
    if (!d)
        return reject(why, -AX_EINVAL, "no description");
    if ((r = check_mem(d, why)) < 0 || (r = check_gic(d, why)) < 0 ||
        (r = check_devices(d, why)) < 0 || (r = check_chosen(d, why)) < 0 ||
        (r = check_regions(d, why)) < 0)
        return r;
    if (why)
        *why = NULL;
    return 0;
}

/* ---- Emission ---- */

/* "prefix@<hex addr>", the unit-address form dtc expects. */
static void unit_name(char *out, const char *prefix, uint64_t addr)
{
    size_t n = strlen(prefix);
    memcpy(out, prefix, n);
    out[n++] = '@';
    int shift = 60;
    while (shift > 0 && ((addr >> shift) & 0xf) == 0)
        shift -= 4;
    for (; shift >= 0; shift -= 4)
        out[n++] = "0123456789abcdef"[(addr >> shift) & 0xf];
    out[n] = 0;
}

static void begin_unit(struct fdt_writer *w, const char *prefix, uint64_t addr)
{
    char name[NAME_MAX_LEN];
    unit_name(name, prefix, addr);
    fdt_w_begin_node(w, name);
}

/* reg entries in the root's 2+2 cells. */
static void prop_reg(struct fdt_writer *w, const uint64_t *pairs, size_t npairs)
{
    uint32_t cells[8];
    for (size_t i = 0; i < npairs && i < 2; i++) {
        cells[4 * i + 0] = (uint32_t)(pairs[2 * i] >> 32);
        cells[4 * i + 1] = (uint32_t)pairs[2 * i];
        cells[4 * i + 2] = (uint32_t)(pairs[2 * i + 1] >> 32);
        cells[4 * i + 3] = (uint32_t)pairs[2 * i + 1];
    }
    fdt_w_prop_cells(w, "reg", cells, 4 * MIN(npairs, (size_t)2));
}

static void prop_reg1(struct fdt_writer *w, uint64_t base, uint64_t size)
{
    uint64_t pair[2] = { base, size };
    prop_reg(w, pair, 1);
}

static void prop_spi(struct fdt_writer *w, uint32_t intid, uint32_t flags)
{
    uint32_t cells[3] = { GUEST_DTB_IRQ_SPI, intid - SPI_FIRST, flags };
    fdt_w_prop_cells(w, "interrupts", cells, 3);
}

static void emit_root_props(struct fdt_writer *w)
{
    fdt_w_prop_u32(w, "#address-cells", 2);
    fdt_w_prop_u32(w, "#size-cells", 2);
    fdt_w_prop_string(w, "compatible", "linux,dummy-virt");
    fdt_w_prop_string(w, "model", "AxVisor-C VM");
    fdt_w_prop_u32(w, "interrupt-parent", PH_GIC);
}

static void emit_chosen(struct fdt_writer *w, const struct guest_dtb_desc *d)
{
    fdt_w_begin_node(w, "chosen");
    if (d->bootargs)
        fdt_w_prop_string(w, "bootargs", d->bootargs);
    if (d->has_uart) {
        char path[NAME_MAX_LEN + 1];
        path[0] = '/';
        unit_name(path + 1, "pl011", d->uart_base);
        fdt_w_prop_string(w, "stdout-path", path);
    }
    if (d->has_initrd) {
        fdt_w_prop_u64(w, "linux,initrd-start", d->initrd_start);
        fdt_w_prop_u64(w, "linux,initrd-end", d->initrd_end);
    }
    fdt_w_end_node(w);
}

static void emit_memory(struct fdt_writer *w, const struct guest_dtb_desc *d)
{
    for (unsigned i = 0; i < d->nmem; i++) {
        begin_unit(w, "memory", d->mem_base[i]);
        fdt_w_prop_string(w, "device_type", "memory");
        prop_reg1(w, d->mem_base[i], d->mem_size[i]);
        fdt_w_end_node(w);
    }
}

static void emit_cpus(struct fdt_writer *w, const struct guest_dtb_desc *d)
{
    fdt_w_begin_node(w, "cpus");
    fdt_w_prop_u32(w, "#address-cells", 1);
    fdt_w_prop_u32(w, "#size-cells", 0);
    for (unsigned i = 0; i < d->ncpus; i++) {
        begin_unit(w, "cpu", i);
        fdt_w_prop_string(w, "device_type", "cpu");
        /* Generic: the guest runs on whatever core the host has. */
        fdt_w_prop_string(w, "compatible", "arm,armv8");
        fdt_w_prop_u32(w, "reg", i); /* MPIDR Aff0 */
        fdt_w_prop_string(w, "enable-method", "psci");
        fdt_w_end_node(w);
    }
    fdt_w_end_node(w);
}

static void emit_psci(struct fdt_writer *w)
{
    static const char *const compat[] = { "arm,psci-1.0", "arm,psci-0.2" };
    fdt_w_begin_node(w, "psci");
    fdt_w_prop_stringlist(w, "compatible", compat, ARRAY_SIZE(compat));
    fdt_w_prop_string(w, "method", "hvc");
    fdt_w_end_node(w);
}

static void emit_timer(struct fdt_writer *w, const struct guest_dtb_desc *d)
{
    static const uint32_t ppis[4] = { PPI_SEC_PHYS, PPI_PHYS, PPI_VIRT, PPI_HYP };
    uint32_t flags = GUEST_DTB_IRQ_LEVEL_HIGH;
    /* GICv2 bindings carry the target CPU mask of a PPI in bits 15:8. */
    if (d->gic_version == 2)
        flags |= ((1U << d->ncpus) - 1) << 8;
    uint32_t cells[12];
    for (unsigned i = 0; i < 4; i++) {
        cells[3 * i + 0] = GUEST_DTB_IRQ_PPI;
        cells[3 * i + 1] = ppis[i];
        cells[3 * i + 2] = flags;
    }
    fdt_w_begin_node(w, "timer");
    fdt_w_prop_string(w, "compatible", "arm,armv8-timer");
    fdt_w_prop_cells(w, "interrupts", cells, ARRAY_SIZE(cells));
    fdt_w_prop_empty(w, "always-on");
    fdt_w_end_node(w);
}

static void emit_gic(struct fdt_writer *w, const struct guest_dtb_desc *d)
{
    begin_unit(w, "intc", d->gicd_base);
    if (d->gic_version == 3) {
        uint64_t reg[4] = { d->gicd_base, gicd_size(d), d->gicr_base,
                            (uint64_t)d->ncpus * GUEST_DTB_GICR_STRIDE };
        fdt_w_prop_string(w, "compatible", "arm,gic-v3");
        prop_reg(w, reg, 2);
        fdt_w_prop_u32(w, "#redistributor-regions", 1);
    } else {
        uint64_t reg[4] = { d->gicd_base, gicd_size(d), d->gicc_base,
                            GUEST_DTB_GICV2_GICC_SIZE };
        fdt_w_prop_string(w, "compatible", "arm,cortex-a15-gic");
        prop_reg(w, reg, 2);
    }
    fdt_w_prop_u32(w, "#interrupt-cells", 3);
    /* No children and no interrupt-map: dtc wants the 0 spelled out. */
    fdt_w_prop_u32(w, "#address-cells", 0);
    fdt_w_prop_empty(w, "interrupt-controller");
    fdt_w_prop_u32(w, "phandle", PH_GIC);
    fdt_w_end_node(w);
}

static void emit_uart(struct fdt_writer *w, const struct guest_dtb_desc *d)
{
    static const char *const compat[] = { "arm,pl011", "arm,primecell" };
    static const char *const clock_names[] = { "uartclk", "apb_pclk" };
    static const uint32_t clocks[] = { PH_CLK, PH_CLK };

    /* The PL011 driver (an AMBA device) fails to probe without clocks. */
    fdt_w_begin_node(w, "apb-pclk");
    fdt_w_prop_string(w, "compatible", "fixed-clock");
    fdt_w_prop_u32(w, "#clock-cells", 0);
    fdt_w_prop_u32(w, "clock-frequency", GUEST_DTB_UART_CLOCK_HZ);
    fdt_w_prop_string(w, "clock-output-names", "clk24mhz");
    fdt_w_prop_u32(w, "phandle", PH_CLK);
    fdt_w_end_node(w);

    begin_unit(w, "pl011", d->uart_base);
    fdt_w_prop_stringlist(w, "compatible", compat, ARRAY_SIZE(compat));
    prop_reg1(w, d->uart_base, GUEST_DTB_UART_SIZE);
    prop_spi(w, d->uart_irq, GUEST_DTB_IRQ_LEVEL_HIGH);
    fdt_w_prop_cells(w, "clocks", clocks, ARRAY_SIZE(clocks));
    fdt_w_prop_stringlist(w, "clock-names", clock_names, ARRAY_SIZE(clock_names));
    fdt_w_end_node(w);
}

static void emit_virtio(struct fdt_writer *w, const struct guest_dtb_desc *d)
{
    for (unsigned i = 0; i < d->nvirtio; i++) {
        begin_unit(w, "virtio_mmio", d->virtio[i].base);
        fdt_w_prop_string(w, "compatible", "virtio,mmio");
        prop_reg1(w, d->virtio[i].base, d->virtio[i].size);
        prop_spi(w, d->virtio[i].irq, GUEST_DTB_IRQ_EDGE_RISING);
        /* The device model reads guest RAM through cacheable mappings:
         * without this Linux would use non-cacheable DMA buffers. */
        fdt_w_prop_empty(w, "dma-coherent");
        fdt_w_end_node(w);
    }
}

int guest_dtb_build(const struct guest_dtb_desc *d, void *buf, size_t size,
                    size_t *out_len)
{
    int r = guest_dtb_check(d, NULL);
    if (r < 0)
        return r;
    struct fdt_writer w;
    if ((r = fdt_w_init(&w, buf, size)) < 0)
        return r;

    fdt_w_begin_node(&w, "");
    emit_root_props(&w);
    emit_chosen(&w, d);
    emit_memory(&w, d);
    emit_cpus(&w, d);
    emit_psci(&w);
    emit_timer(&w, d);
    emit_gic(&w, d);
    if (d->has_uart)
        emit_uart(&w, d);
    emit_virtio(&w, d);
    fdt_w_end_node(&w);
    return fdt_w_finish(&w, out_len);
}
