/* PSCI client (the hypervisor calls the firmware, here QEMU's, through smc). */
#include "ax/axhal.h"
#include "ax/log.h"
#include "platform.h"

#define PSCI_VERSION 0x84000000U
#define PSCI_SYSTEM_OFF 0x84000008U
#define PSCI_SYSTEM_RESET 0x84000009U
#define PSCI_CPU_ON_64 0xC4000003U
#define MPIDR_AFF_MASK 0xff00ffffffULL

static int64_t psci_call(uint64_t fn, uint64_t a1, uint64_t a2, uint64_t a3)
{
    register uint64_t x0 __asm__("x0") = fn;
    register uint64_t x1 __asm__("x1") = a1;
    register uint64_t x2 __asm__("x2") = a2;
    register uint64_t x3 __asm__("x3") = a3;
    /* At EL2 only smc reaches firmware; an hvc would trap to ourselves. */
    __asm__ volatile("smc #0" : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3) : : "memory");
    return (int64_t)x0;
}

static const char *psci_err(int64_t r)
{
    switch (r) {
    case -1: return "NOT_SUPPORTED";
    case -2: return "INVALID_PARAMETERS";
    case -3: return "DENIED";
    case -4: return "ALREADY_ON";
    case -5: return "ON_PENDING";
    case -6: return "INTERNAL_FAILURE";
    case -9: return "INVALID_ADDRESS";
    default: return "unknown";
    }
}

int psci_cpu_on(uint64_t mpidr, paddr_t entry, uint64_t ctx)
{
    uint32_t fn = platform.psci.cpu_on_fn ? platform.psci.cpu_on_fn : PSCI_CPU_ON_64;
    int64_t r = psci_call(fn, mpidr & MPIDR_AFF_MASK, entry, ctx);
    if (r != 0) {
        log_error("psci: CPU_ON(%#llx) failed: %lld %s", (unsigned long long)mpidr, (long long)r,
                  psci_err(r));
        return r == -4 ? -AX_EBUSY : -AX_EIO;
    }
    return 0;
}

void psci_system_off(void)
{
    psci_call(PSCI_SYSTEM_OFF, 0, 0, 0);
    log_error("psci: SYSTEM_OFF returned");
    cpu_halt();
}

void psci_system_reset(void)
{
    psci_call(PSCI_SYSTEM_RESET, 0, 0, 0);
    log_error("psci: SYSTEM_RESET returned");
    cpu_halt();
}
