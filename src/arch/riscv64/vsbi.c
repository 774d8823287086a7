/* SBI for guests: what a VS-mode guest's ecall reaches.
 *
 * Implemented: BASE, legacy set_timer / console_putchar / console_getchar
 * / shutdown, TIME, IPI, RFENCE (fence.i and sfence.vma forms), HSM, SRST,
 * DBCN, and the project's hypercalls as extension 0x485643 ("HVC": nr in
 * a6, args a0..a5, result in a0 only). SBI functions return the error in
 * a0 and the value in a1. Hart ids are vCPU indices. */
#include "ax/axhal.h"
#include "ax/hypercall_abi.h"
#include "ax/vm.h"
#include "csr.h"
#include "platform.h"
#include "vcpu_priv.h"

#define EXT_LEGACY_SET_TIMER 0x00
#define EXT_LEGACY_PUTCHAR 0x01
#define EXT_LEGACY_GETCHAR 0x02
#define EXT_LEGACY_SHUTDOWN 0x08
#define EXT_BASE 0x10
#define EXT_TIME 0x54494D45
#define EXT_IPI 0x735049
#define EXT_RFENCE 0x52464E43
#define EXT_HSM 0x48534D
#define EXT_SRST 0x53525354
#define EXT_DBCN 0x4442434E

#define SBI_SUCCESS 0
#define SBI_ERR_FAILED (-1)
#define SBI_ERR_NOT_SUPPORTED (-2)
#define SBI_ERR_INVALID_PARAM (-3)
#define SBI_ERR_ALREADY_AVAILABLE (-6)

#define SBI_SPEC_VERSION ((1UL << 24) | 0) /* 1.0 */
#define SBI_IMPL_ID 0x4158UL               /* "AX": not a registered implementation id */
#define SBI_IMPL_VERSION 1

#define HSM_STARTED 0
#define HSM_STOPPED 1
#define HSM_START_PENDING 2

#define DBCN_MAX 4096

static void ret2(struct vcpu *v, long err, long val)
{
    v->arch.regs.x[10] = (uint64_t)err;
    v->arch.regs.x[11] = (uint64_t)val;
}

static bool ext_known(uint64_t ext)
{
    switch (ext) {
    case EXT_LEGACY_SET_TIMER:
    case EXT_LEGACY_PUTCHAR:
    case EXT_LEGACY_GETCHAR:
    case EXT_LEGACY_SHUTDOWN:
    case EXT_BASE:
    case EXT_TIME:
    case EXT_IPI:
    case EXT_RFENCE:
    case EXT_HSM:
    case EXT_SRST:
    case EXT_DBCN:
    case HC_SBI_EXT:
        return true;
    default:
        return false;
    }
}

static void base_call(struct vcpu *v, uint64_t fid)
{
    switch (fid) {
    case 0: ret2(v, SBI_SUCCESS, SBI_SPEC_VERSION); break;
    case 1: ret2(v, SBI_SUCCESS, SBI_IMPL_ID); break;
    case 2: ret2(v, SBI_SUCCESS, SBI_IMPL_VERSION); break;
    case 3: ret2(v, SBI_SUCCESS, ext_known(v->arch.regs.x[10])); break;
    case 4: /* mvendorid, marchid, mimpid: none */
    case 5:
    case 6: ret2(v, SBI_SUCCESS, 0); break;
    default: ret2(v, SBI_ERR_NOT_SUPPORTED, 0); break;
    }
}

/* The guest's timer: with Sstc straight into vstimecmp (the hardware then
 * raises VSTIP); without it the deadline is kept and VSTIP is set on entry
 * once it has passed (vcpu.c). Either way a new deadline clears STIP. */
static void set_timer(struct vcpu *v, uint64_t ticks)
{
    if (have_sstc)
        csr_write(vstimecmp, ticks);
    v->arch.timer_ticks = ticks;
    csr_clear(hvip, HVIP_VSTIP);
}

/* Each target of a hart mask (base == -1: every vCPU); false when one is
 * out of range, before anything was done. */
static bool for_each_target(struct vcpu *v, uint64_t mask, uint64_t base, void (*fn)(struct vcpu *self, struct vcpu *t))
{
    struct vm *vm = v->vm;
    if (base == ~0ULL) {
        for (unsigned i = 0; i < vm->nvcpu; i++)
            fn(v, vm->vcpus[i]);
        return true;
    }
    for (unsigned b = 0; b < 64; b++)
        if ((mask >> b & 1) && (base >= vm->nvcpu || b >= vm->nvcpu - base))
            return false;
    for (unsigned b = 0; b < 64; b++)
        if (mask >> b & 1)
            fn(v, vm->vcpus[base + b]);
    return true;
}

static void send_ipi(struct vcpu *self, struct vcpu *t)
{
    __atomic_store_n(&t->arch.pending_vssip, 1, __ATOMIC_RELEASE);
    if (t != self)
        vcpu_kick(t);
}

static void send_vvma_flush(struct vcpu *self, struct vcpu *t)
{
    __atomic_store_n(&t->arch.pending_vvma_flush, 1, __ATOMIC_RELEASE);
    if (t != self)
        vcpu_kick(t);
}

static void send_kick(struct vcpu *self, struct vcpu *t)
{
    if (t != self)
        vcpu_kick(t);
}

static void rfence_call(struct vcpu *v, uint64_t fid)
{
    uint64_t mask = v->arch.regs.x[10], base = v->arch.regs.x[11];
    bool ok;
    switch (fid) {
    case 0: ok = for_each_target(v, mask, base, send_kick); break;        /* fence.i */
    case 1:                                                                /* sfence.vma */
    case 2: ok = for_each_target(v, mask, base, send_vvma_flush); break;  /* sfence.vma.asid */
    default: ret2(v, SBI_ERR_NOT_SUPPORTED, 0); return;                   /* the guest has no H */
    }
    ret2(v, ok ? SBI_SUCCESS : SBI_ERR_INVALID_PARAM, 0);
}

static bool hsm_call(struct vcpu *v, uint64_t fid, struct vcpu_exit *e)
{
    uint64_t *x = v->arch.regs.x;
    switch (fid) {
    case 0: /* hart_start(hartid, start_addr, opaque) */
        e->reason = EXIT_CPU_UP;
        e->cpu_up.target = x[10];
        e->cpu_up.entry = x[11];
        e->cpu_up.arg = x[12];
        return true;
    case 1: /* hart_stop */
        e->reason = EXIT_CPU_DOWN;
        return true;
    case 2: { /* hart_get_status(hartid) */
        int st = x[10] >= v->vm->nvcpu ? -AX_EINVAL : vm_cpu_power_state(v->vm, (unsigned)x[10]);
        if (st < 0)
            ret2(v, SBI_ERR_INVALID_PARAM, 0);
        else
            ret2(v, SBI_SUCCESS, st == VCPU_ON ? HSM_STARTED : st == VCPU_OFF ? HSM_STOPPED : HSM_START_PENDING);
        return false;
    }
    default: /* hart_suspend and later additions */
        ret2(v, SBI_ERR_NOT_SUPPORTED, 0);
        return false;
    }
}

void vcpu_arch_cpu_up_result(struct vcpu *v, int err)
{
    ret2(v, err == 0 ? SBI_SUCCESS : err == -AX_EBUSY ? SBI_ERR_ALREADY_AVAILABLE : SBI_ERR_INVALID_PARAM, 0);
}

static bool srst_call(struct vcpu *v, uint64_t fid, struct vcpu_exit *e)
{
    uint64_t type = v->arch.regs.x[10];
    if (fid != 0 || type > 2 || v->arch.regs.x[11] > 1) {
        ret2(v, fid != 0 ? SBI_ERR_NOT_SUPPORTED : SBI_ERR_INVALID_PARAM, 0);
        return false;
    }
    e->reason = type == 0 ? EXIT_SYSTEM_DOWN : EXIT_SYSTEM_RESET;
    return true;
}

/* console_write(num_bytes, base_lo, base_hi): a guest-physical buffer. */
static void dbcn_write(struct vcpu *v)
{
    uint64_t len = v->arch.regs.x[10], gpa = v->arch.regs.x[11];
    if (v->arch.regs.x[12] != 0 || gpa + len < gpa) {
        ret2(v, SBI_ERR_INVALID_PARAM, 0);
        return;
    }
    if (len > DBCN_MAX)
        len = DBCN_MAX; /* a short write; the guest sends the rest */
    char buf[128];
    uint64_t done = 0;
    while (done < len) {
        size_t n = (size_t)MIN(sizeof(buf), len - done);
        if (as_copy_from_guest(&v->vm->as, buf, gpa + done, n) != 0)
            break;
        for (size_t i = 0; i < n; i++)
            vm_console_putc(v->vm, buf[i]);
        done += n;
    }
    if (done == 0 && len > 0)
        ret2(v, SBI_ERR_INVALID_PARAM, 0);
    else
        ret2(v, SBI_SUCCESS, (long)done);
}

static void dbcn_call(struct vcpu *v, uint64_t fid)
{
    switch (fid) {
    case 0: dbcn_write(v); break;
    case 1: ret2(v, SBI_SUCCESS, 0); break; /* console_read: nothing to read */
    case 2: vm_console_putc(v->vm, (char)v->arch.regs.x[10]); ret2(v, SBI_SUCCESS, 0); break;
    default: ret2(v, SBI_ERR_NOT_SUPPORTED, 0); break;
    }
}

bool vsbi_handle(struct vcpu *v, struct vcpu_exit *e)
{
    uint64_t *x = v->arch.regs.x;
    uint64_t ext = x[17], fid = x[16];
    switch (ext) {
    case HC_SBI_EXT:
        e->reason = EXIT_HYPERCALL;
        e->hc.nr = fid;
        for (int i = 0; i < 6; i++)
            e->hc.args[i] = x[10 + i];
        return true;
    case EXT_BASE: base_call(v, fid); return false;
    case EXT_TIME:
        if (fid == 0) {
            set_timer(v, x[10]);
            ret2(v, SBI_SUCCESS, 0);
        } else {
            ret2(v, SBI_ERR_NOT_SUPPORTED, 0);
        }
        return false;
    case EXT_IPI:
        if (fid == 0)
            ret2(v, for_each_target(v, x[10], x[11], send_ipi) ? SBI_SUCCESS : SBI_ERR_INVALID_PARAM, 0);
        else
            ret2(v, SBI_ERR_NOT_SUPPORTED, 0);
        return false;
    case EXT_RFENCE: rfence_call(v, fid); return false;
    case EXT_HSM: return hsm_call(v, fid, e);
    case EXT_SRST: return srst_call(v, fid, e);
    case EXT_DBCN: dbcn_call(v, fid); return false;
    /* legacy extensions (SBI 0.1): the result is a0 alone */
    case EXT_LEGACY_SET_TIMER: set_timer(v, x[10]); x[10] = 0; return false;
    case EXT_LEGACY_PUTCHAR: vm_console_putc(v->vm, (char)x[10]); x[10] = 0; return false;
    case EXT_LEGACY_GETCHAR: x[10] = (uint64_t)-1; return false;
    case EXT_LEGACY_SHUTDOWN: e->reason = EXIT_SYSTEM_DOWN; return true;
    default: ret2(v, SBI_ERR_NOT_SUPPORTED, 0); return false;
    }
}
