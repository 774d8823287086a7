/* SBI client: the hypervisor calls OpenSBI (M-mode) with ecall. */
#include "ax/axhal.h"
#include "ax/log.h"
#include "platform.h"

#define SBI_EXT_LEGACY_PUTCHAR 0x01
#define SBI_EXT_LEGACY_SHUTDOWN 0x08
#define SBI_EXT_BASE 0x10
#define SBI_EXT_TIME 0x54494D45
#define SBI_EXT_IPI 0x735049
#define SBI_EXT_HSM 0x48534D
#define SBI_EXT_SRST 0x53525354

struct sbiret sbi_call(unsigned long ext, unsigned long fid, unsigned long a0, unsigned long a1,
                       unsigned long a2, unsigned long a3)
{
    register unsigned long r0 __asm__("a0") = a0;
    register unsigned long r1 __asm__("a1") = a1;
    register unsigned long r2 __asm__("a2") = a2;
    register unsigned long r3 __asm__("a3") = a3;
    register unsigned long r6 __asm__("a6") = fid;
    register unsigned long r7 __asm__("a7") = ext;
    __asm__ volatile("ecall" : "+r"(r0), "+r"(r1) : "r"(r2), "r"(r3), "r"(r6), "r"(r7) : "memory");
    return (struct sbiret){(long)r0, (long)r1};
}

void sbi_legacy_putchar(char c)
{
    sbi_call(SBI_EXT_LEGACY_PUTCHAR, 0, (unsigned char)c, 0, 0, 0);
}

long sbi_spec_version(void)
{
    struct sbiret r = sbi_call(SBI_EXT_BASE, 0, 0, 0, 0, 0);
    return r.error ? 0 : r.value;
}

int sbi_hart_start(uint64_t hartid, paddr_t entry, uint64_t opaque)
{
    struct sbiret r = sbi_call(SBI_EXT_HSM, 0, hartid, entry, opaque, 0);
    if (r.error == -6 || r.error == -7)
        return -AX_EBUSY; /* ALREADY_AVAILABLE / STARTED: the caller knows why */
    if (r.error) {
        log_error("sbi: hart_start(%llu) failed: %ld", (unsigned long long)hartid, r.error);
        return -AX_EIO;
    }
    return 0;
}

/* hart_mask with base = hartid: bit 0 is that hart. */
void sbi_send_ipi_hart(uint64_t hartid)
{
    sbi_call(SBI_EXT_IPI, 0, 1, hartid, 0, 0);
}

void sbi_set_timer(uint64_t stime)
{
    sbi_call(SBI_EXT_TIME, 0, stime, 0, 0, 0);
}

void sbi_shutdown(void)
{
    sbi_call(SBI_EXT_SRST, 0, 0, 0, 0, 0); /* shutdown, no reason */
    sbi_call(SBI_EXT_LEGACY_SHUTDOWN, 0, 0, 0, 0, 0);
    log_error("sbi: system shutdown returned");
    cpu_halt();
}

void sbi_reboot(void)
{
    sbi_call(SBI_EXT_SRST, 0, 1, 0, 0, 0); /* cold reboot */
    log_error("sbi: system reset returned");
    cpu_halt();
}
