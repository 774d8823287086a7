/* aarch64 HAL core: boot flow, per-CPU data, interrupt masking, SMP start
 * through PSCI, power control. */
#include "ax/axhal.h"
#include "ax/log.h"
#include "ax/string.h"
#include "platform.h"
#include "sysreg.h"
#include "vgic.h"

struct fdt_platform platform;
static struct percpu_arch percpu[AX_MAX_CPUS];
static void (*secondary_entry_fn[AX_MAX_CPUS])(unsigned cpu);
extern char secondary_entry[];
extern char _start[], _end[];

/* QEMU virt's PL011, used only to report that the DTB is unusable. */
#define FALLBACK_UART 0x09000000UL
#define DTB_MAX_SIZE (2UL << 20)

static void percpu_set(unsigned cpu)
{
    percpu[cpu].id = cpu;
    percpu[cpu].mpidr = read_sysreg(mpidr_el1);
    write_sysreg(tpidr_el2, (uint64_t)(uintptr_t)&percpu[cpu]);
}

struct percpu_arch *this_percpu(void)
{
    return (struct percpu_arch *)(uintptr_t)read_sysreg(tpidr_el2);
}

unsigned cpu_id(void)
{
    uint64_t p = read_sysreg(tpidr_el2);
    return p ? ((const struct percpu_arch *)(uintptr_t)p)->id : 0;
}

unsigned cpu_count(void) { return platform.cpu_count ? platform.cpu_count : 1; }
uint64_t cpu_hwid(unsigned cpu) { return cpu < platform.cpu_count ? platform.cpu_hwid[cpu] : 0; }
const char *arch_name(void) { return "aarch64"; }

void irq_enable(void) { __asm__ volatile("msr daifclr, #2" ::: "memory"); }
void irq_disable(void) { __asm__ volatile("msr daifset, #2" ::: "memory"); }
bool irq_enabled(void) { return !(read_sysreg(daif) & (1 << 7)); }
void irq_wait(void) { __asm__ volatile("dsb sy; wfi" ::: "memory"); }

unsigned long arch_irq_save(void)
{
    unsigned long f = read_sysreg(daif);
    irq_disable();
    return f;
}

void arch_irq_restore(unsigned long flags) { write_sysreg(daif, flags); }

void cpu_halt(void)
{
    for (;;) {
        __asm__ volatile("msr daifset, #0xf; wfi" ::: "memory");
    }
}

void console_putc(char c) { pl011_putc(c); }
int console_getc(void) { return pl011_getc(); }

static void add_reserved(struct boot_info *bi, paddr_t base, uint64_t size)
{
    if (bi->reserved_count < BOOT_MAX_RESERVED && size)
        bi->reserved[bi->reserved_count++] = (struct mem_range){base, size};
}

/* Called from boot.S on the boot CPU with the MMU on (early identity map). */
NORETURN void aarch64_primary_main(paddr_t dtb);
void aarch64_primary_main(paddr_t dtb)
{
    percpu_set(0);
    const uint8_t *blob = (const uint8_t *)(uintptr_t)dtb;
    size_t size = 0;
    int err = -AX_EINVAL;
    if (dtb && IS_ALIGNED(dtb, 8)) {
        size = fdt_be32(blob + 4);
        if (size > DTB_MAX_SIZE)
            size = DTB_MAX_SIZE;
        err = fdt_parse_platform(blob, size, &platform);
    }
    if (err == 0 && platform.uart.kind == FDT_UART_PL011)
        pl011_init(platform.uart.regs.base);
    else
        pl011_init(FALLBACK_UART);
    if (err != 0) {
        log_error("boot: no usable device tree at %#llx (%s); cannot discover the machine",
                  (unsigned long long)dtb, ax_strerror(err));
        power_off();
    }
    if (platform.uart.kind != FDT_UART_PL011)
        log_warn("boot: console is not a PL011 in the DTB; using QEMU virt's at %#lx", FALLBACK_UART);

    static struct boot_info bi;
    for (unsigned i = 0; i < platform.mem_count && i < BOOT_MAX_MEM; i++)
        bi.mem[bi.mem_count++] = (struct mem_range){platform.mem[i].base, platform.mem[i].size};
    add_reserved(&bi, (paddr_t)(uintptr_t)_start, (uint64_t)(_end - _start));
    add_reserved(&bi, dtb, ALIGN_UP(size, PAGE_SIZE));
    for (unsigned i = 0; i < platform.reserved_count; i++)
        add_reserved(&bi, platform.reserved[i].base, platform.reserved[i].size);
    if (platform.chosen.has_initrd && platform.chosen.initrd_end > platform.chosen.initrd_start)
        add_reserved(&bi, platform.chosen.initrd_start,
                     platform.chosen.initrd_end - platform.chosen.initrd_start);
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
    if (platform.psci.method != FDT_PSCI_SMC)
        log_warn("psci: method is %s, secondary CPUs need smc at EL2",
                 platform.psci.method == FDT_PSCI_HVC ? "hvc" : "absent");
    err = gic_init(&platform);
    if (err)
        return err;
    gic_init_cpu(0);
    timer_init_cpu();
    vgic_host_init(&platform); /* without it VMs get no interrupt controller */
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
    log_info("cpus: %u (MPIDR of cpu0 %#llx)%s", p->cpu_count, (unsigned long long)p->cpu_hwid[0],
             p->cpu_total > p->cpu_count ? ", more in the DTB than AX_MAX_CPUS" : "");
    log_info("irq: GICv%u, distributor at %#llx", gic_version(), (unsigned long long)p->intc.gicd.base);
    log_info("timer: %llu Hz, hypervisor timer INTID %u", (unsigned long long)read_sysreg(cntfrq_el0),
             timer_irq());
    log_info("console: PL011 at %#llx", (unsigned long long)p->uart.regs.base);
}

int cpu_start(unsigned cpu, void (*entry)(unsigned cpu))
{
    if (cpu == 0 || cpu >= cpu_count())
        return -AX_EINVAL;
    secondary_entry_fn[cpu] = entry;
    dsb(sy);
    return psci_cpu_on(platform.cpu_hwid[cpu], (paddr_t)(uintptr_t)secondary_entry, cpu);
}

NORETURN void aarch64_secondary_main(unsigned cpu);
void aarch64_secondary_main(unsigned cpu)
{
    if (cpu >= AX_MAX_CPUS)
        cpu_halt();
    percpu_set(cpu);
    mmu_enable_cpu();
    gic_init_cpu(cpu);
    timer_init_cpu();
    secondary_entry_fn[cpu](cpu);
    cpu_halt();
}

void power_off(void) { psci_system_off(); }
void power_reset(void) { psci_system_reset(); }
