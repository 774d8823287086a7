/* riscv64 HAL core: boot flow, per-CPU data, interrupt masking, SMP start
 * through SBI HSM, IPIs through SBI IPI, power control through SBI SRST.
 *
 * Logical CPU 0 is the hart OpenSBI started us on (any hart may win its
 * boot lottery); the other harts follow in device-tree order. */
#include "ax/axhal.h"
#include "ax/log.h"
#include "ax/string.h"
#include "csr.h"
#include "platform.h"

struct fdt_platform platform;
struct percpu_arch percpu_area[AX_MAX_CPUS] __attribute__((aligned(64)));
uint64_t hart_ids[AX_MAX_CPUS];
bool have_sstc;
static unsigned ncpus = 1;
static void (*secondary_entry_fn[AX_MAX_CPUS])(unsigned cpu);
extern char secondary_entry[];
extern int64_t pen_cpu[AX_MAX_CPUS]; /* boot.S: holding pen of harts that came in at _start */
extern char _start[], _end[];

#define DTB_MAX_SIZE (2UL << 20)

struct percpu_arch *this_percpu(void)
{
    struct percpu_arch *p;
    __asm__ volatile("mv %0, tp" : "=r"(p));
    return p;
}

unsigned cpu_id(void)
{
    struct percpu_arch *p = this_percpu();
    return p ? p->id : 0;
}

unsigned cpu_count(void) { return ncpus; }
uint64_t cpu_hwid(unsigned cpu) { return cpu < ncpus ? hart_ids[cpu] : 0; }
const char *arch_name(void) { return "riscv64"; }

void irq_enable(void) { csr_set(sstatus, SSTATUS_SIE); }
void irq_disable(void) { csr_clear(sstatus, SSTATUS_SIE); }
bool irq_enabled(void) { return csr_read(sstatus) & SSTATUS_SIE; }
/* wfi wakes on any interrupt enabled in sie, even with sstatus.SIE = 0 */
void irq_wait(void) { __asm__ volatile("wfi" ::: "memory"); }

unsigned long arch_irq_save(void)
{
    unsigned long f;
    __asm__ volatile("csrrci %0, sstatus, %1" : "=r"(f) : "i"(SSTATUS_SIE) : "memory");
    return f & SSTATUS_SIE;
}

void arch_irq_restore(unsigned long flags)
{
    if (flags & SSTATUS_SIE)
        csr_set(sstatus, SSTATUS_SIE);
}

void cpu_halt(void)
{
    for (;;) {
        csr_clear(sstatus, SSTATUS_SIE);
        csr_write(sie, 0);
        __asm__ volatile("wfi" ::: "memory");
    }
}

void console_putc(char c) { uart16550_putc(c); }
int console_getc(void) { return uart16550_getc(); }

/* No host device interrupts yet: the console is polled and nothing else
 * is driven. The PLIC is left as OpenSBI left it. */
int irq_register(unsigned irq, irq_handler_t fn, void *arg)
{
    (void)irq;
    (void)fn;
    (void)arg;
    return -AX_ENOSYS;
}

void irq_set_enabled(unsigned irq, bool on)
{
    (void)irq;
    (void)on;
}

void irq_unregister(unsigned irq) { (void)irq; }

void ipi_send(unsigned cpu)
{
    if (cpu < ncpus)
        sbi_send_ipi_hart(hart_ids[cpu]);
}

static void add_reserved(struct boot_info *bi, paddr_t base, uint64_t size)
{
    if (bi->reserved_count < BOOT_MAX_RESERVED && size)
        bi->reserved[bi->reserved_count++] = (struct mem_range){base, size};
}

/* "rv64imafdch_zicsr_..._sstc": a multi-letter extension is a whole
 * '_'-separated token. */
static bool isa_has_token(const char *isa, size_t len, const char *tok)
{
    size_t tl = strlen(tok);
    size_t i = 0;
    while (i < len) {
        size_t j = i;
        while (j < len && isa[j] != '_' && isa[j] != 0)
            j++;
        if (j - i == tl && memcmp(isa + i, tok, tl) == 0)
            return true;
        if (j >= len || isa[j] == 0)
            break;
        i = j + 1;
    }
    return false;
}

static void harts_init(uint64_t boot_hart)
{
    hart_ids[0] = boot_hart;
    ncpus = 1;
    for (unsigned i = 0; i < platform.cpu_count && ncpus < AX_MAX_CPUS; i++)
        if (platform.cpu_hwid[i] != boot_hart)
            hart_ids[ncpus++] = platform.cpu_hwid[i];
    percpu_area[0].hartid = boot_hart;
}

/* Called from boot.S on the boot hart, translation off. */
NORETURN void riscv_primary_main(uint64_t hartid, paddr_t dtb);
void riscv_primary_main(uint64_t hartid, paddr_t dtb)
{
    const uint8_t *blob = (const uint8_t *)(uintptr_t)dtb;
    size_t size = 0;
    int err = -AX_EINVAL;
    if (dtb && IS_ALIGNED(dtb, 8)) {
        size = fdt_be32(blob + 4);
        if (size > DTB_MAX_SIZE)
            size = DTB_MAX_SIZE;
        err = fdt_parse_platform(blob, size, &platform);
    }
    if (err == 0 && platform.uart.kind == FDT_UART_NS16550)
        uart16550_init(platform.uart.regs.base, platform.uart.reg_shift, platform.uart.reg_io_width);
    /* else: console_putc falls back to SBI's legacy putchar */
    if (err != 0) {
        log_error("boot: no usable device tree at %#llx (%s); cannot discover the machine",
                  (unsigned long long)dtb, ax_strerror(err));
        power_off();
    }
    if (platform.uart.kind != FDT_UART_NS16550)
        log_warn("boot: no 16550 console in the DTB; using the SBI console");
    harts_init(hartid);
    if (!platform.riscv_isa || !fdt_riscv_isa_has(platform.riscv_isa, platform.riscv_isa_len, 'h')) {
        log_error("boot: the CPU has no H extension (riscv,isa \"%s\"); cannot run guests",
                  platform.riscv_isa ? platform.riscv_isa : "?");
        power_off();
    }
    have_sstc = isa_has_token(platform.riscv_isa, platform.riscv_isa_len, "sstc");

    static struct boot_info bi;
    for (unsigned i = 0; i < platform.mem_count && i < BOOT_MAX_MEM; i++)
        bi.mem[bi.mem_count++] = (struct mem_range){platform.mem[i].base, platform.mem[i].size};
    add_reserved(&bi, (paddr_t)(uintptr_t)_start, (uint64_t)(_end - _start));
    add_reserved(&bi, dtb, ALIGN_UP(size, PAGE_SIZE));
    for (unsigned i = 0; i < platform.reserved_count; i++)
        add_reserved(&bi, platform.reserved[i].base, platform.reserved[i].size);
    if (platform.chosen.has_initrd && platform.chosen.initrd_end > platform.chosen.initrd_start)
        add_reserved(&bi, platform.chosen.initrd_start, platform.chosen.initrd_end - platform.chosen.initrd_start);
    bi.dtb = blob;
    bi.dtb_size = size;
    bi.cmdline = platform.chosen.bootargs ? platform.chosen.bootargs : "";
    hv_main(&bi);
}

int arch_init_late(void)
{
    int err = mmu_init(&platform);
    if (err)
        return err;
    timer_init_cpu();
    return 0;
}

void arch_describe(void)
{
    const struct fdt_platform *p = &platform;
    uint64_t total = 0;
    for (unsigned i = 0; i < p->mem_count; i++) {
        total += p->mem[i].size;
        log_info("memory: bank %u at %#llx, %llu MiB", i, (unsigned long long)p->mem[i].base,
                 (unsigned long long)(p->mem[i].size >> 20));
    }
    log_info("memory: %llu MiB in %u bank(s)", (unsigned long long)(total >> 20), p->mem_count);
    log_info("cpus: %u (boot hart %llu)%s, ISA %s", ncpus, (unsigned long long)hart_ids[0],
             p->cpu_total > ncpus ? ", more in the DTB than AX_MAX_CPUS" : "",
             p->riscv_isa ? p->riscv_isa : "?");
    long v = sbi_spec_version();
    log_info("sbi: spec %ld.%ld; H extension present, VMIDs in hgatp", (v >> 24) & 0x7f, v & 0xffffff);
    if (p->intc.kind == FDT_INTC_PLIC)
        log_info("irq: PLIC at %#llx (%u sources; host console polled), IPIs via SBI",
                 (unsigned long long)p->intc.plic.base, p->intc.plic_ndev);
    else
        log_info("irq: no PLIC in the DTB, IPIs via SBI");
    log_info("timer: %llu Hz, %s", (unsigned long long)timer_freq_hz(),
             have_sstc ? "Sstc stimecmp" : "SBI set_timer");
    if (p->uart.kind == FDT_UART_NS16550)
        log_info("console: 16550 at %#llx (reg-shift %u)", (unsigned long long)p->uart.regs.base,
                 p->uart.reg_shift);
    else
        log_info("console: SBI legacy putchar");
}

int cpu_start(unsigned cpu, void (*entry)(unsigned cpu))
{
    if (cpu == 0 || cpu >= ncpus)
        return -AX_EINVAL;
    secondary_entry_fn[cpu] = entry;
    percpu_area[cpu].hartid = hart_ids[cpu];
    __asm__ volatile("fence rw, rw" ::: "memory");
    int err = sbi_hart_start(hart_ids[cpu], (paddr_t)(uintptr_t)secondary_entry, cpu);
    if (err == -AX_EBUSY && hart_ids[cpu] < AX_MAX_CPUS) {
        /* the firmware let it through to _start: it waits in boot.S's pen */
        log_info("cpu %u: hart %llu is already running (it came in at the image entry); released from the boot pen",
                 cpu, (unsigned long long)hart_ids[cpu]);
        __atomic_store_n(&pen_cpu[hart_ids[cpu]], (int64_t)cpu, __ATOMIC_RELEASE);
        return 0;
    }
    return err;
}

NORETURN void riscv_secondary_main(unsigned cpu);
void riscv_secondary_main(unsigned cpu)
{
    mmu_enable_cpu();
    timer_init_cpu();
    secondary_entry_fn[cpu](cpu);
    cpu_halt();
}

void power_off(void) { sbi_shutdown(); }
void power_reset(void) { sbi_reboot(); }
