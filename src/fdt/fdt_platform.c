/* Platform summary from a device tree: memory, CPUs, interrupt controller,
 * timer, console UART, PSCI, reserved memory, /chosen and virtio-mmio.
 *
 * One depth-first walk keeps the ancestor chain, so "reg" translation and
 * interrupt-parent lookups cost no extra scans. The interrupt controller
 * and the stdout-path node are found before the walk because other nodes'
 * interrupts and the UART choice depend on them. */
#include "ax/fdt.h"
#include "ax/string.h"

struct walk {
    const struct fdt *fdt;
    struct fdt_platform *p;
    int cpus;        /* /cpus, or < 0 */
    int resmem;      /* /reserved-memory, or < 0 */
    int stdout_node; /* node named by /chosen stdout-path, or < 0 */
    int intc;        /* main interrupt controller, or < 0 */
    uint32_t intc_cells;
};

/* A node in the walk: itself and its ancestors (anc[0] = root). */
struct at {
    const int *anc;
    int nanc;
    int node;
};

static const struct {
    const char *compat;
    enum fdt_intc_kind kind;
} intc_table[] = {
    { "arm,gic-v3", FDT_INTC_GICV3 },
    { "arm,cortex-a15-gic", FDT_INTC_GICV2 },
    { "arm,gic-400", FDT_INTC_GICV2 },
    { "riscv,plic0", FDT_INTC_PLIC },
    { "sifive,plic-1.0.0", FDT_INTC_PLIC },
};

static int absent_ok(int r)
{
    return r == -AX_ENOENT ? 0 : r;
}

/* Optional u32-valued property, accepting the u64 form if it fits. */
static int opt_u32(const struct fdt *fdt, int node, const char *name, uint32_t *out)
{
    uint64_t v;
    int r = fdt_get_u64(fdt, node, name, &v);
    if (r < 0)
        return absent_ok(r);
    if (v > 0xffffffffU)
        return -AX_ERANGE;
    *out = (uint32_t)v;
    return 0;
}

static int reg_at(const struct walk *w, const struct at *a, uint32_t idx,
                  struct fdt_region *out)
{
    struct fdt_reg reg;
    int r = fdt_get_reg_anc(w->fdt, a->anc, a->nanc, a->node, idx, true, &reg);
    if (r == 0) {
        out->base = reg.addr;
        out->size = reg.size;
    }
    return r;
}

/* reg entry that may be missing: *has tells. */
static int reg_opt(const struct walk *w, const struct at *a, uint32_t idx,
                   struct fdt_region *out, bool *has)
{
    int r = reg_at(w, a, idx, out);
    *has = r == 0;
    return absent_ok(r);
}

/* A "reg" entry the node cannot do without: missing is malformed. */
static int reg_need(const struct walk *w, const struct at *a, uint32_t idx,
                    struct fdt_region *out)
{
    int r = reg_at(w, a, idx, out);
    return r == -AX_ENOENT ? -AX_EINVAL : r;
}

/* ---- Interrupts ---- */

static int gic_intid(uint32_t type, uint32_t num, uint32_t *out)
{
    switch (type) {
    case 0: /* SPI */
        if (num > 987)
            return -AX_ERANGE;
        *out = 32 + num;
        return 0;
    case 1: /* PPI */
        if (num > 15)
            return -AX_ERANGE;
        *out = 16 + num;
        return 0;
    case 2: /* extended SPI (GICv3.1) */
        if (num > 1023)
            return -AX_ERANGE;
        *out = 4096 + num;
        return 0;
    case 3: /* extended PPI (GICv3.1) */
        if (num > 63)
            return -AX_ERANGE;
        *out = 1056 + num;
        return 0;
    default:
        return -AX_EINVAL;
    }
}

/* True if the node's interrupts go to the main controller: its nearest
 * "interrupt-parent" (on itself or an ancestor) names it, or none is given. */
static int on_main_intc(const struct walk *w, const struct at *a)
{
    for (int i = a->nanc; i >= 0; i--) {
        int n = i == a->nanc ? a->node : a->anc[i];
        uint32_t ph;
        int r = fdt_get_u32(w->fdt, n, "interrupt-parent", &ph);
        if (r == 0)
            return ph != 0 && ph == w->p->intc.phandle;
        if (r != -AX_ENOENT)
            return r;
    }
    return 1;
}

/* Interrupt idx of "interrupts" as an INTID (GIC) or source id (PLIC);
 * FDT_IRQ_NONE if absent or routed to another controller. */
static int irq_at(const struct walk *w, const struct at *a, uint32_t idx, uint32_t *out)
{
    struct fdt_prop p;
    *out = FDT_IRQ_NONE;
    if (w->intc < 0)
        return 0;
    int r = fdt_get_prop(w->fdt, a->node, "interrupts", &p);
    if (r < 0)
        return absent_ok(r);
    r = on_main_intc(w, a);
    if (r <= 0)
        return r;

    uint32_t cells = w->intc_cells;
    if (p.len % (cells * 4))
        return -AX_EINVAL;
    if (idx >= p.len / (cells * 4))
        return 0;
    uint64_t c0, c1;
    if ((r = fdt_prop_cells(&p, idx * cells, 1, &c0)) < 0)
        return r;
    if (w->p->intc.kind == FDT_INTC_PLIC) {
        uint32_t ndev = w->p->intc.plic_ndev;
        if (c0 == 0 || (ndev && c0 > ndev))
            return -AX_ERANGE;
        *out = (uint32_t)c0;
        return 0;
    }
    if ((r = fdt_prop_cells(&p, idx * cells + 1, 1, &c1)) < 0)
        return r;
    return gic_intid((uint32_t)c0, (uint32_t)c1, out);
}

/* ---- Interrupt controller (first pass) ---- */

static int parse_intc(struct walk *w, const struct at *a)
{
    struct fdt_intc *ic = &w->p->intc;
    int r;
    if (ic->kind == FDT_INTC_PLIC)
        return reg_need(w, a, 0, &ic->plic);

    if ((r = reg_need(w, a, 0, &ic->gicd)) < 0)
        return r;
    uint32_t next = 1;
    if (ic->kind == FDT_INTC_GICV3) {
        uint32_t nr = 1;
        if ((r = opt_u32(w->fdt, a->node, "#redistributor-regions", &nr)) < 0)
            return r;
        if (nr == 0 || nr > 1024)
            return -AX_EINVAL;
        for (uint32_t i = 0; i < nr; i++) {
            struct fdt_region reg;
            if ((r = reg_need(w, a, 1 + i, &reg)) < 0)
                return r;
            if (ic->gicr_total++ < FDT_MAX_GICR)
                ic->gicr[ic->gicr_count++] = reg;
        }
        next = 1 + nr;
    }
    if ((r = reg_opt(w, a, next, &ic->gicc, &ic->has_gicc)) < 0 ||
        (r = reg_opt(w, a, next + 1, &ic->gich, &ic->has_gich)) < 0 ||
        (r = reg_opt(w, a, next + 2, &ic->gicv, &ic->has_gicv)) < 0)
        return r;
    return irq_at(w, a, 0, &ic->maint_intid);
}

/* First-pass visitor: stops the walk (returns 1) at the first enabled
 * controller of a supported kind and reads all of it. */
static int visit_intc(struct walk *w, const struct at *a)
{
    const struct fdt *fdt = w->fdt;
    struct fdt_intc *ic = &w->p->intc;
    struct fdt_prop compat;
    int r = fdt_get_prop(fdt, a->node, "compatible", &compat);
    if (r < 0)
        return absent_ok(r);
    for (size_t i = 0; i < ARRAY_SIZE(intc_table); i++) {
        if (!fdt_stringlist_contains(&compat, intc_table[i].compat))
            continue;
        bool gic = intc_table[i].kind != FDT_INTC_PLIC;
        w->intc = a->node;
        ic->kind = intc_table[i].kind;
        ic->phandle = fdt_get_phandle(fdt, a->node);
        w->intc_cells = gic ? 3 : 1;
        if ((r = opt_u32(fdt, a->node, "#interrupt-cells", &w->intc_cells)) < 0)
            return r;
        if (w->intc_cells < (gic ? 3U : 1U) || w->intc_cells > 4)
            return -AX_EINVAL;
        if (!gic && (r = opt_u32(fdt, a->node, "riscv,ndev", &ic->plic_ndev)) < 0)
            return r;
        r = parse_intc(w, a);
        return r < 0 ? r : 1;
    }
    return 0;
}

/* ---- Pre-walk lookups ---- */

/* stdout-path is "path-or-alias[:options]"; unresolvable means "guess". */
static int find_stdout(struct walk *w, int chosen)
{
    const char *s;
    size_t len;
    w->stdout_node = -1;
    if (chosen < 0)
        return 0;
    int r = fdt_get_string(w->fdt, chosen, "stdout-path", &s, &len);
    if (r == -AX_ENOENT)
        r = fdt_get_string(w->fdt, chosen, "linux,stdout-path", &s, &len);
    if (r < 0)
        return absent_ok(r);
    const char *colon = memchr(s, ':', len);
    if (colon)
        len = (size_t)(colon - s);
    if (len > 0)
        w->stdout_node = fdt_path_offset_len(w->fdt, s, len);
    return 0;
}

static int parse_chosen(struct walk *w, int chosen)
{
    struct fdt_chosen *c = &w->p->chosen;
    if (chosen < 0)
        return 0;
    int r = fdt_get_string(w->fdt, chosen, "bootargs", &c->bootargs, &c->bootargs_len);
    if (r < 0) {
        c->bootargs = NULL;
        c->bootargs_len = 0;
        if ((r = absent_ok(r)) < 0)
            return r;
    }
    uint64_t start, end;
    int rs = fdt_get_u64(w->fdt, chosen, "linux,initrd-start", &start);
    int re = fdt_get_u64(w->fdt, chosen, "linux,initrd-end", &end);
    if ((rs < 0 && rs != -AX_ENOENT) || (re < 0 && re != -AX_ENOENT))
        return -AX_EINVAL;
    if (rs == 0 && re == 0) {
        if (end < start)
            return -AX_EINVAL;
        c->has_initrd = true;
        c->initrd_start = start;
        c->initrd_end = end;
    }
    return 0;
}

static int parse_memrsv(struct walk *w)
{
    struct fdt_platform *p = w->p;
    int n = fdt_memrsv_count(w->fdt);
    for (int i = 0; i < n; i++) {
        struct fdt_reg e;
        int r = fdt_memrsv_get(w->fdt, (uint32_t)i, &e);
        if (r < 0)
            return r;
        if (e.size == 0)
            continue;
        if (p->reserved_total++ < FDT_MAX_RESERVED)
            p->reserved[p->reserved_count++] = (struct fdt_region){ e.addr, e.size };
    }
    return 0;
}

/* ---- Per-node handlers ---- */

static int add_memory(struct walk *w, const struct at *a)
{
    struct fdt_platform *p = w->p;
    for (uint32_t i = 0;; i++) {
        struct fdt_region reg;
        int r = reg_at(w, a, i, &reg);
        if (r < 0)
            return absent_ok(r);
        if (reg.size == 0)
            continue;
        if (p->mem_total++ < FDT_MAX_MEM)
            p->mem[p->mem_count++] = reg;
    }
}

static int add_reserved(struct walk *w, const struct at *a)
{
    struct fdt_platform *p = w->p;
    for (uint32_t i = 0;; i++) {
        struct fdt_region reg;
        int r = reg_at(w, a, i, &reg);
        if (r < 0)
            return absent_ok(r); /* no reg: dynamically placed, nothing fixed */
        if (reg.size == 0)
            continue;
        if (p->reserved_total++ < FDT_MAX_RESERVED)
            p->reserved[p->reserved_count++] = reg;
    }
}

static int add_cpu(struct walk *w, const struct at *a)
{
    struct fdt_platform *p = w->p;
    struct fdt_reg reg;
    int r = fdt_get_reg_anc(w->fdt, a->anc, a->nanc, a->node, 0, false, &reg);
    if (r < 0)
        return r == -AX_ENOENT ? -AX_EINVAL : r;
    if (p->cpu_total++ < AX_MAX_CPUS)
        p->cpu_hwid[p->cpu_count++] = reg.addr;
    if (p->cpu_total != 1)
        return 0;

    r = fdt_get_string(w->fdt, a->node, "riscv,isa", &p->riscv_isa, &p->riscv_isa_len);
    if (r < 0) {
        p->riscv_isa = NULL;
        p->riscv_isa_len = 0;
        if ((r = absent_ok(r)) < 0)
            return r;
    }
    if (p->timebase_hz == 0) {
        r = fdt_get_u64(w->fdt, a->node, "timebase-frequency", &p->timebase_hz);
        return absent_ok(r);
    }
    return 0;
}

static int parse_timer(struct walk *w, const struct at *a)
{
    struct fdt_timer *t = &w->p->timer;
    uint32_t *ids[] = { &t->sec_phys_intid, &t->phys_intid, &t->virt_intid,
                        &t->hyp_intid };
    t->present = true;
    for (uint32_t i = 0; i < ARRAY_SIZE(ids); i++) {
        int r = irq_at(w, a, i, ids[i]);
        if (r < 0)
            return r;
    }
    return opt_u32(w->fdt, a->node, "clock-frequency", &t->clock_hz);
}

static int parse_uart(struct walk *w, const struct at *a, enum fdt_uart_kind kind)
{
    struct fdt_uart *u = &w->p->uart;
    bool is_stdout = a->node == w->stdout_node;
    if (u->kind != FDT_UART_NONE && (u->from_stdout_path || !is_stdout))
        return 0; /* keep the first guess until the stdout node shows up */

    struct fdt_uart nu = { .kind = kind, .from_stdout_path = is_stdout,
                           .reg_io_width = 1 };
    int r;
    if ((r = reg_need(w, a, 0, &nu.regs)) < 0 || (r = irq_at(w, a, 0, &nu.irq)) < 0 ||
        (r = opt_u32(w->fdt, a->node, "reg-shift", &nu.reg_shift)) < 0 ||
        (r = opt_u32(w->fdt, a->node, "reg-io-width", &nu.reg_io_width)) < 0 ||
        (r = opt_u32(w->fdt, a->node, "clock-frequency", &nu.clock_hz)) < 0)
        return r;
    if (nu.reg_shift > 3 || nu.reg_io_width == 0 || nu.reg_io_width > 8)
        return -AX_EINVAL;
    *u = nu;
    return 0;
}

static int parse_psci(struct walk *w, const struct at *a, const struct fdt_prop *compat)
{
    struct fdt_psci *ps = &w->p->psci;
    const char *method;
    ps->present = true;
    int r = fdt_get_string(w->fdt, a->node, "method", &method, NULL);
    if (r == 0 && strcmp(method, "smc") == 0)
        ps->method = FDT_PSCI_SMC;
    else if (r == 0 && strcmp(method, "hvc") == 0)
        ps->method = FDT_PSCI_HVC;
    else if ((r = absent_ok(r)) < 0)
        return r;
    ps->v0_2 = fdt_stringlist_contains(compat, "arm,psci-0.2") ||
               fdt_stringlist_contains(compat, "arm,psci-1.0");
    ps->cpu_on_fn = ps->v0_2 ? FDT_PSCI_0_2_CPU_ON_64 : 0;
    return opt_u32(w->fdt, a->node, "cpu_on", &ps->cpu_on_fn);
}

static int add_virtio(struct walk *w, const struct at *a)
{
    struct fdt_platform *p = w->p;
    if (p->virtio_total++ >= FDT_MAX_VIRTIO)
        return 0;
    struct fdt_virtio_mmio *v = &p->virtio[p->virtio_count++];
    int r = reg_need(w, a, 0, &v->regs);
    return r < 0 ? r : irq_at(w, a, 0, &v->irq);
}

static bool has_compat(const struct fdt_prop *c, const char *const *list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (fdt_stringlist_contains(c, list[i]))
            return true;
    return false;
}

/* Second-pass visitor: everything but the interrupt controller. */
static int visit(struct walk *w, const struct at *a)
{
    static const char *const timer_ids[] = { "arm,armv8-timer", "arm,armv7-timer" };
    static const char *const psci_ids[] = { "arm,psci-1.0", "arm,psci-0.2", "arm,psci" };
    static const char *const pl011_ids[] = { "arm,pl011" };
    static const char *const ns16550_ids[] = { "ns16550a", "ns16550" };
    const struct fdt *fdt = w->fdt;
    struct fdt_platform *p = w->p;
    int parent = a->nanc > 0 ? a->anc[a->nanc - 1] : -1;
    const char *dtype = "";
    struct fdt_prop compat = { 0 };
    int r;

    r = fdt_get_string(fdt, a->node, "device_type", &dtype, NULL);
    if (r < 0 && (r = absent_ok(r)) < 0)
        return r;
    r = fdt_get_prop(fdt, a->node, "compatible", &compat);
    if (r == 0 && fdt_stringlist_count(&compat) < 0)
        return -AX_EINVAL;
    if (r < 0 && (r = absent_ok(r)) < 0)
        return r;

    if (strcmp(dtype, "memory") == 0)
        return add_memory(w, a);
    if (parent >= 0 && parent == w->cpus && strcmp(dtype, "cpu") == 0)
        return add_cpu(w, a);
    if (parent >= 0 && parent == w->resmem)
        return add_reserved(w, a);
    if (compat.len == 0)
        return 0;
    if (!p->timer.present && has_compat(&compat, timer_ids, ARRAY_SIZE(timer_ids)))
        return parse_timer(w, a);
    if (!p->psci.present && has_compat(&compat, psci_ids, ARRAY_SIZE(psci_ids)))
        return parse_psci(w, a, &compat);
    if (fdt_stringlist_contains(&compat, "virtio,mmio"))
        return add_virtio(w, a);
    if (has_compat(&compat, pl011_ids, ARRAY_SIZE(pl011_ids)))
        return parse_uart(w, a, FDT_UART_PL011);
    if (has_compat(&compat, ns16550_ids, ARRAY_SIZE(ns16550_ids)))
        return parse_uart(w, a, FDT_UART_NS16550);
    return 0;
}

typedef int (*visit_fn)(struct walk *w, const struct at *a);

/* Depth-first over every enabled node; a disabled node hides its subtree.
 * A visitor returning > 0 ends the walk early. */
static int walk_tree(struct walk *w, visit_fn fn)
{
    int anc[FDT_MAX_DEPTH];
    int depth, skip_from = -1;
    int n = fdt_first_node(w->fdt, &depth);
    for (; n >= 0; n = fdt_next_node(w->fdt, n, &depth)) {
        if (depth < 0 || depth >= FDT_MAX_DEPTH)
            return -AX_EINVAL;
        anc[depth] = n;
        if (skip_from >= 0 && depth <= skip_from)
            skip_from = -1;
        if (skip_from >= 0)
            continue;
        int r = fdt_node_is_enabled(w->fdt, n);
        if (r == 0)
            skip_from = depth;
        if (r <= 0) {
            if (r < 0)
                return r;
            continue;
        }
        struct at a = { anc, depth, n };
        if ((r = fn(w, &a)) != 0)
            return r < 0 ? r : 0;
    }
    return absent_ok(n);
}

bool fdt_riscv_isa_has(const char *isa, size_t len, char ext)
{
    if (!isa || len < 4 || (strncmp(isa, "rv32", 4) != 0 && strncmp(isa, "rv64", 4) != 0))
        return false;
    for (size_t i = 4; i < len && isa[i] != '_' && isa[i] != 0; i++)
        if (isa[i] == ext)
            return true;
    return false;
}

static void platform_defaults(struct fdt_platform *p)
{
    memset(p, 0, sizeof(*p));
    p->intc.maint_intid = FDT_IRQ_NONE;
    p->timer.sec_phys_intid = FDT_IRQ_NONE;
    p->timer.phys_intid = FDT_IRQ_NONE;
    p->timer.virt_intid = FDT_IRQ_NONE;
    p->timer.hyp_intid = FDT_IRQ_NONE;
    p->uart.irq = FDT_IRQ_NONE;
}

int fdt_parse_platform(const void *blob, size_t maxlen, struct fdt_platform *p)
{
    struct fdt fdt;
    if (!p)
        return -AX_EINVAL;
    platform_defaults(p);
    int r = fdt_init(&fdt, blob, maxlen);
    if (r < 0)
        return r;
    p->boot_cpuid = fdt.boot_cpuid;

    struct walk w = { .fdt = &fdt, .p = p, .intc = -1 };
    int root = fdt_first_node(&fdt, NULL);
    if (root < 0)
        return root;
    int chosen = fdt_subnode(&fdt, root, "chosen", 6);
    w.cpus = fdt_subnode(&fdt, root, "cpus", 4);
    w.resmem = fdt_subnode(&fdt, root, "reserved-memory", 15);
    if ((r = absent_ok(chosen)) < 0 || (r = absent_ok(w.cpus)) < 0 ||
        (r = absent_ok(w.resmem)) < 0)
        return r;

    if (w.cpus >= 0 &&
        (r = absent_ok(fdt_get_u64(&fdt, w.cpus, "timebase-frequency", &p->timebase_hz))) < 0)
        return r;
    /* Every other node's interrupts are decoded against the controller. */
    if ((r = walk_tree(&w, visit_intc)) < 0 || (r = find_stdout(&w, chosen)) < 0 ||
        (r = parse_chosen(&w, chosen)) < 0 || (r = parse_memrsv(&w)) < 0)
        return r;
    return walk_tree(&w, visit);
}
