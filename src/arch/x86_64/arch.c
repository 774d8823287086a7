/* x86_64 HAL core: boot flow from multiboot, per-CPU data through GS base,
 * interrupt masking, SMP start with INIT-SIPI-SIPI, power control. */
#include "ax/axhal.h"
#include "ax/log.h"
#include "ax/string.h"
#include "arch/context.h"
#include "platform.h"

struct x86_platform platform;
const struct boot_info *x86_boot_info;
static struct percpu_arch percpu[AX_MAX_CPUS];
static void (*secondary_entry_fn[AX_MAX_CPUS])(unsigned cpu);
extern char _start[], _end[];
extern char ap_trampoline[], ap_trampoline_end[];
extern uint64_t ap_stack_top;
extern uint32_t ap_cpu;
extern char boot_stacks[];

#define MB_BOOT_MAGIC 0x2BADB002u
#define MB_INFO_MEM (1u << 0)
#define MB_INFO_CMDLINE (1u << 2)
#define MB_INFO_MMAP (1u << 6)
#define CMDLINE_MAX 512
#define DEBUG_EXIT_PORT 0xf4

static void percpu_set(unsigned cpu)
{
    percpu[cpu].id = cpu;
    percpu[cpu].apic_id = platform.apic_id[cpu];
    wrmsr(MSR_GS_BASE, (uint64_t)(uintptr_t)&percpu[cpu]);
}

struct percpu_arch *this_percpu(void) { return &percpu[cpu_id()]; }

struct percpu_arch *percpu_of(unsigned cpu) { return &percpu[cpu < AX_MAX_CPUS ? cpu : 0]; }

unsigned cpu_id(void)
{
    unsigned id;
    __asm__ volatile("movl %%gs:0, %0" : "=r"(id));
    return id;
}

unsigned cpu_count(void) { return platform.cpu_count ? platform.cpu_count : 1; }
uint64_t cpu_hwid(unsigned cpu) { return cpu < platform.cpu_count ? platform.apic_id[cpu] : 0; }
const char *arch_name(void) { return "x86_64"; }

void irq_enable(void) { __asm__ volatile("sti" ::: "memory"); }
void irq_disable(void) { __asm__ volatile("cli" ::: "memory"); }

static unsigned long read_flags(void)
{
    unsigned long f;
    __asm__ volatile("pushfq; popq %0" : "=r"(f) : : "memory");
    return f;
}

bool irq_enabled(void) { return read_flags() & (1UL << 9); }

/* Called with interrupts masked (the idle loop). sti's one-instruction
 * shadow covers hlt, so an interrupt arriving between the caller's check
 * and the hlt still wakes it; the handler runs here, before the cli. */
void irq_wait(void) { __asm__ volatile("sti; hlt; cli" ::: "memory"); }

unsigned long arch_irq_save(void)
{
    unsigned long f = read_flags();
    irq_disable();
    return f;
}

void arch_irq_restore(unsigned long flags)
{
    if (flags & (1UL << 9))
        irq_enable();
}

void cpu_halt(void)
{
    for (;;)
        __asm__ volatile("cli; hlt" ::: "memory");
}

void console_putc(char c) { serial_putc(c); }
int console_getc(void) { return serial_getc(); }

/* ---- boot ---- */

static char cmdline_buf[CMDLINE_MAX];
static struct boot_info bi;

static void add_reserved(paddr_t base, uint64_t size)
{
    if (bi.reserved_count < BOOT_MAX_RESERVED && size)
        bi.reserved[bi.reserved_count++] = (struct mem_range){base, size};
}

/* Usable RAM from the multiboot memory map, without the first MiB (BIOS
 * data, EBDA, option ROMs, and where the AP trampoline goes). */
static void add_ram(uint64_t base, uint64_t len)
{
    uint64_t end = base + len;
    if (end < base)
        return;
    if (base < 0x100000)
        base = 0x100000;
    base = ALIGN_UP(base, PAGE_SIZE);
    end = ALIGN_DOWN(end, PAGE_SIZE);
    if (end <= base || bi.mem_count >= BOOT_MAX_MEM)
        return;
    bi.mem[bi.mem_count++] = (struct mem_range){base, end - base};
    platform.mem_total += end - base;
}

static void multiboot_parse(uint32_t magic, uint32_t info)
{
    if (magic != MB_BOOT_MAGIC || !info) {
        log_error("boot: not started by a multiboot loader (magic %#x); assuming 512 MiB at 1 MiB", magic);
        add_ram(0x100000, 511ULL << 20);
        return;
    }
    const uint32_t *mbi = (const uint32_t *)(uintptr_t)info;
    uint32_t flags = mbi[0];
    if ((flags & MB_INFO_CMDLINE) && mbi[4]) {
        const char *s = (const char *)(uintptr_t)mbi[4];
        /* the loader puts the kernel's own path first */
        for (unsigned n = 0; n < CMDLINE_MAX && *s && *s != ' '; n++)
            s++;
        while (*s == ' ')
            s++;
        size_t i = 0;
        for (; i < CMDLINE_MAX - 1 && s[i]; i++)
            cmdline_buf[i] = s[i];
        cmdline_buf[i] = 0;
    }
    if (flags & MB_INFO_MMAP) {
        uint32_t len = mbi[11], addr = mbi[12];
        uint32_t off = 0;
        /* entries: u32 size (of the rest), u64 base, u64 length, u32 type */
        for (unsigned n = 0; off + 24 <= len && n < 128; n++) {
            const uint8_t *e = (const uint8_t *)(uintptr_t)(addr + off);
            uint32_t size;
            uint64_t base, length;
            uint32_t type;
            memcpy(&size, e, 4);
            memcpy(&base, e + 4, 8);
            memcpy(&length, e + 12, 8);
            memcpy(&type, e + 20, 4);
            if (type == 1)
                add_ram(base, length);
            if (size < 20)
                break;
            off += size + 4;
        }
    } else if (flags & MB_INFO_MEM) {
        add_ram(0x100000, (uint64_t)mbi[2] << 10);
    }
}

/* Called from boot.S on the boot CPU in long mode, on the early map. */
NORETURN void x86_primary_main(uint32_t magic, uint32_t info);
void x86_primary_main(uint32_t magic, uint32_t info)
{
    platform.apic_id[0] = 0;
    percpu_set(0);
    gdt_idt_init_cpu(0);
    serial_init();
    multiboot_parse(magic, info);
    acpi_init();
    percpu[0].apic_id = platform.apic_id[0];
    time_calibrate();
    add_reserved((paddr_t)(uintptr_t)_start, (uint64_t)(_end - _start));
    bi.dtb = NULL;
    bi.dtb_size = 0;
    bi.cmdline = cmdline_buf;
    x86_boot_info = &bi;
    hv_main(&bi);
}


int arch_init_late(void)
{
    int err = mmu_init();
    if (err)
        return err;
    pic_disable();
    timer_init_handlers();
    lapic_init_cpu();
    const char *why;
    if (svm_supported(&why)) {
        err = svm_init_cpu();
        if (err)
            log_error("svm: cannot enable on cpu 0: %s", ax_strerror(err));
    } else {
        log_warn("svm: %s; VMs cannot run", why);
    }
    return 0;
}

void arch_describe(void)
{
    for (unsigned i = 0; i < bi.mem_count; i++)
        log_info("memory: bank %u at %#llx, %llu MiB", i, (unsigned long long)bi.mem[i].base,
                 (unsigned long long)(bi.mem[i].size >> 20));
    log_info("memory: %llu MiB in %u bank(s)", (unsigned long long)(platform.mem_total >> 20), bi.mem_count);
    log_info("cpus: %u (APIC id of cpu0 %u)%s%s", platform.cpu_count, platform.apic_id[0],
             platform.madt ? ", from the ACPI MADT" : ", no MADT",
             platform.cpu_total > platform.cpu_count ? ", more than AX_MAX_CPUS" : "");
    log_info("irq: local APIC (xAPIC) at %#llx, 8259 PICs masked", (unsigned long long)platform.lapic_base);
    log_info("timer: TSC %llu kHz, LAPIC timer %llu kHz (calibrated against the PIT)",
             (unsigned long long)(tsc_hz() / 1000), (unsigned long long)(lapic_timer_hz() / 1000));
    log_info("console: 16550 UART at port 0x3f8");
    if (platform.have_s5)
        log_info("power: ACPI S5 through PM1a_CNT %#x (SLP_TYP %u)", platform.pm1a_cnt, platform.slp_typ_s5a);
    else
        log_info("power: no ACPI S5; isa-debug-exit at port %#x", DEBUG_EXIT_PORT);
}

/* ---- secondary CPUs ---- */

static volatile unsigned ap_arrived;

int cpu_start(unsigned cpu, void (*entry)(unsigned cpu))
{
    if (cpu == 0 || cpu >= cpu_count())
        return -AX_EINVAL;
    size_t len = (size_t)(ap_trampoline_end - ap_trampoline);
    memcpy(phys_to_virt(AP_TRAMPOLINE), ap_trampoline, len);
    secondary_entry_fn[cpu] = entry;
    ap_stack_top = (uint64_t)(uintptr_t)(boot_stacks + (size_t)(cpu + 1) * BOOT_STACK_SIZE);
    ap_cpu = cpu;
    ap_arrived = 0;
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    int err = lapic_send_init_sipi(platform.apic_id[cpu], AP_TRAMPOLINE);
    if (err)
        return err;
    /* the trampoline's variables are shared: wait until this CPU took them */
    uint64_t deadline = timer_now_ns() + 1000000000ULL;
    while (!__atomic_load_n(&ap_arrived, __ATOMIC_ACQUIRE) && timer_now_ns() < deadline)
        cpu_relax();
    return __atomic_load_n(&ap_arrived, __ATOMIC_ACQUIRE) ? 0 : -AX_ETIMEDOUT;
}

NORETURN void x86_secondary_main(unsigned cpu);
void x86_secondary_main(unsigned cpu)
{
    if (cpu >= AX_MAX_CPUS)
        cpu_halt();
    percpu_set(cpu);
    __atomic_store_n(&ap_arrived, 1, __ATOMIC_RELEASE);
    gdt_idt_init_cpu(cpu);
    mmu_enable_cpu();
    lapic_init_cpu();
    const char *why;
    if (svm_supported(&why)) {
        int err = svm_init_cpu();
        if (err)
            log_error("svm: cannot enable on cpu %u: %s", cpu, ax_strerror(err));
    }
    secondary_entry_fn[cpu](cpu);
    cpu_halt();
}

/* ---- power ---- */

/* ACPI S5 is what a real machine needs. QEMU exits with status 0 on it.
 * The isa-debug-exit device (QEMU only, when configured) is the fallback:
 * writing v there makes QEMU exit with status (v << 1) | 1, so a harness
 * can tell the fallback from a clean ACPI power-off. */
void power_off(void)
{
    irq_disable();
    if (platform.have_s5 && platform.pm1a_cnt) {
        outw(platform.pm1a_cnt, (uint16_t)((platform.slp_typ_s5a << 10) | (1u << 13)));
        if (platform.pm1b_cnt)
            outw(platform.pm1b_cnt, (uint16_t)((platform.slp_typ_s5b << 10) | (1u << 13)));
        delay_us(100000);
    }
    outl(DEBUG_EXIT_PORT, 0);
    cpu_halt();
}

void power_reset(void)
{
    irq_disable();
    outb(0xCF9, 0x02);
    outb(0xCF9, 0x06); /* full reset through the reset control register */
    delay_us(100000);
    outb(0x64, 0xFE);  /* 8042 pulse reset line */
    delay_us(100000);
    struct {
        uint16_t limit;
        uint64_t base;
    } __attribute__((packed)) none = {0, 0};
    __asm__ volatile("lidt %0; int3" ::"m"(none)); /* triple fault */
    cpu_halt();
}
