/* hypercall: the hypercall ABI itself. All six argument registers reach the
 * hypervisor and the result comes back; unknown numbers and bad guest
 * buffers get their defined errors; HC_GUEST_INFO describes this VM
 * (configs/vms/kit/<arch>/hypercall.toml: id 2, one vCPU, 16 MiB of RAM). */
#include "kit.h"

KIT_TEST(hypercall);

#define EXPECT_VM_ID 2
#define EXPECT_RAM_SIZE MiB(16)

static uint64_t weighted(const uint64_t a[6])
{
    uint64_t s = 0;
    for (unsigned i = 0; i < 6; i++)
        s += (uint64_t)(i + 1) * a[i];
    return s;
}

static uint64_t sum6(const uint64_t a[6])
{
    return (uint64_t)kit_hypercall(HC_TEST_SUM6, a[0], a[1], a[2], a[3], a[4], a[5]);
}

static void check_sum6(void)
{
    /* one register at a time: a dropped or misplaced argument shows which */
    for (unsigned k = 0; k < 6; k++) {
        uint64_t a[6] = { 0 };
        a[k] = 0x0123456789abcdefull;
        uint64_t got = sum6(a);
        KIT_CHECK(got == weighted(a), "SUM6 with only arg %u set: got 0x%lx, expected 0x%lx",
                  k + 1, (unsigned long)got, (unsigned long)weighted(a));
    }
    /* all six, distinct and large: every bit of every register matters */
    static const uint64_t big[6] = {
        0xfedcba9876543210ull, 0x8000000000000001ull, 0x7fffffffffffffffull,
        0xdeadbeefcafebabeull, 0x0f1e2d3c4b5a6978ull, 0xa5a5a5a55a5a5a5aull,
    };
    uint64_t got = sum6(big);
    kit_printf("SUM6 of six large args: 0x%lx\n", (unsigned long)got);
    KIT_CHECK(got == weighted(big), "SUM6: got 0x%lx, expected 0x%lx", (unsigned long)got,
              (unsigned long)weighted(big));
}

static void check_errors(uint64_t ram_base, uint64_t ram_size)
{
    int64_t r = kit_hc0(0x7777);
    KIT_CHECK(r == HC_ENOSYS, "unknown hypercall 0x7777 returned %ld, expected %d", (long)r,
              HC_ENOSYS);

    uint64_t ram_end = ram_base + ram_size;
    const struct {
        const char *what;
        uint64_t gpa, len;
    } bad[] = {
        { "below RAM", 0x1000, 16 },
        { "straddling the end of RAM", ram_end - 8, 16 },
        { "just past the end of RAM", ram_end, 1 },
        { "at the top of the address space", ~0ull - 7, 8 },
        /* gpa + len wraps around to 0x18: a naive range check passes */
        { "that wraps around the address space", ~0ull - 7, 0x20 },
    };
    for (unsigned i = 0; i < ARRAY_SIZE(bad); i++) {
        r = kit_hc2(HC_CONSOLE_WRITE, bad[i].gpa, bad[i].len);
        KIT_CHECK(r == HC_EFAULT,
                  "CONSOLE_WRITE of a buffer %s (gpa 0x%lx len 0x%lx) returned %ld, expected %d",
                  bad[i].what, (unsigned long)bad[i].gpa, (unsigned long)bad[i].len, (long)r,
                  HC_EFAULT);
    }
    /* A length so large that gpa + len wraps back into RAM. The ABI leaves
     * open whether an oversized length is EFAULT or EINVAL; it must be an
     * error, and the hypervisor must not read 2^64 bytes. */
    r = kit_hc2(HC_CONSOLE_WRITE, ram_base + 0x1000, ~0ull - 7);
    KIT_CHECK(r == HC_EFAULT || r == HC_EINVAL,
              "CONSOLE_WRITE with length 0x%lx returned %ld, expected %d or %d",
              (unsigned long)(~0ull - 7), (long)r, HC_EFAULT, HC_EINVAL);

    r = kit_guest_info(0x7777);
    KIT_CHECK(r == HC_EINVAL, "GUEST_INFO of unknown key returned %ld, expected %d", (long)r,
              HC_EINVAL);
}

static void check_console(void)
{
    static const char msg[] = "CONSOLE_WRITE from a buffer in guest RAM\n";
    int64_t r = kit_hc2(HC_CONSOLE_WRITE, (uintptr_t)msg, sizeof(msg) - 1);
    KIT_CHECK(r == (int64_t)(sizeof(msg) - 1), "CONSOLE_WRITE of %u bytes returned %ld",
              (unsigned)(sizeof(msg) - 1), (long)r);
    static const char putc_msg[] = "CONSOLE_PUTC\n";
    for (const char *p = putc_msg; *p; p++) {
        r = kit_hc1(HC_CONSOLE_PUTC, (uint64_t)*p);
        KIT_CHECK(r == 0, "CONSOLE_PUTC returned %ld", (long)r);
    }
}

void kit_main(void)
{
    int64_t v = kit_hc0(HC_VERSION);
    KIT_CHECK(v == HC_ABI_VERSION, "HC_VERSION returned %ld", (long)v);

    int64_t base = kit_guest_info(HC_INFO_RAM_BASE);
    int64_t size = kit_guest_info(HC_INFO_RAM_SIZE);
    int64_t vcpus = kit_guest_info(HC_INFO_VCPUS);
    int64_t id = kit_guest_info(HC_INFO_VM_ID);
    int64_t vcpu = kit_guest_info(HC_INFO_VCPU_ID);
    int64_t resets = kit_guest_info(HC_INFO_RESETS);
    kit_printf("guest info: ram 0x%lx+0x%lx vcpus %ld vm %ld vcpu %ld resets %ld\n",
               (unsigned long)base, (unsigned long)size, (long)vcpus, (long)id, (long)vcpu,
               (long)resets);
    KIT_CHECK(base == (int64_t)KIT_RAM_BASE, "RAM base 0x%lx, expected 0x%lx",
              (unsigned long)base, (unsigned long)KIT_RAM_BASE);
    KIT_CHECK(size == (int64_t)EXPECT_RAM_SIZE, "RAM size 0x%lx, expected 0x%lx",
              (unsigned long)size, (unsigned long)EXPECT_RAM_SIZE);
    KIT_CHECK(vcpus == 1, "%ld vCPUs, expected 1", (long)vcpus);
    KIT_CHECK(id == EXPECT_VM_ID, "VM id %ld, expected %d", (long)id, EXPECT_VM_ID);
    KIT_CHECK(vcpu == 0, "vCPU id %ld, expected 0", (long)vcpu);
    KIT_CHECK(resets == 0, "reset count %ld, expected 0", (long)resets);

    check_sum6();
    check_errors((uint64_t)base, (uint64_t)size);
    check_console();

    int64_t r = kit_hc0(HC_NOP);
    KIT_CHECK(r == 0, "HC_NOP returned %ld", (long)r);
    int64_t t0 = kit_hc0(HC_TIME_NS);
    int64_t t1 = kit_hc0(HC_TIME_NS);
    KIT_CHECK(t0 > 0 && t1 >= t0, "HC_TIME_NS not monotonic: %ld then %ld", (long)t0, (long)t1);
    kit_pass();
}
