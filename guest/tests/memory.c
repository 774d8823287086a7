/* memory: guest RAM is all there, private and exactly as large as the
 * config says. Every byte not holding the program (image, BSS, stacks) gets
 * a position-dependent pattern, which is then checked, so aliased or
 * missing pages show; a load just past the end of RAM must come back as a
 * data abort injected into the guest, at exactly that address. */
#include "kit.h"

KIT_TEST(memory);

static uint64_t pattern(uint64_t addr)
{
    return (addr * 0x9e3779b97f4a7c15ull) ^ (addr >> 3) ^ 0x5a5a5a5a5a5a5a5aull;
}

static void fill_and_verify(uintptr_t start, uintptr_t end)
{
    for (uintptr_t a = start; a < end; a += 8)
        *(volatile uint64_t *)a = pattern(a);
    for (uintptr_t a = start; a < end; a += 8) {
        uint64_t v = *(volatile uint64_t *)a;
        KIT_CHECK(v == pattern(a), "RAM at 0x%lx reads 0x%lx, wrote 0x%lx", (unsigned long)a,
                  (unsigned long)v, (unsigned long)pattern(a));
    }
}

static volatile struct kit_fault seen;
static volatile unsigned faults;

static enum kit_fault_action on_fault(const struct kit_fault *f)
{
    seen = *f;
    faults++;
    return KIT_FAULT_SKIP;
}

static void check_past_end(uintptr_t end)
{
    kit_set_fault_handler(on_fault);
    uint64_t v = kit_mmio_read64(end);
    kit_set_fault_handler(NULL);

    KIT_CHECK(faults == 1, "load at 0x%lx past the end of RAM: %u faults (read 0x%lx)",
              (unsigned long)end, faults, (unsigned long)v);
    struct kit_fault f = seen;
    kit_printf("load past the end of RAM at 0x%lx: %s fault, cause 0x%lx, addr 0x%lx, pc 0x%lx\n",
               (unsigned long)end, f.cls == KIT_FAULT_LOAD ? "load" : "unexpected",
               (unsigned long)f.cause, (unsigned long)f.addr, (unsigned long)f.pc);
    KIT_CHECK(f.cls == KIT_FAULT_LOAD, "fault past the end of RAM is not a load abort (cause 0x%lx)",
              (unsigned long)f.cause);
    KIT_CHECK(f.addr_valid && f.addr == end, "fault address 0x%lx (valid %d), expected 0x%lx",
              (unsigned long)f.addr, f.addr_valid, (unsigned long)end);
}

void kit_main(void)
{
    int64_t base = kit_guest_info(HC_INFO_RAM_BASE);
    int64_t size = kit_guest_info(HC_INFO_RAM_SIZE);
    KIT_CHECK(base > 0 && size > 0, "GUEST_INFO RAM base %ld size %ld", (long)base, (long)size);
    uintptr_t ram = (uintptr_t)base, end = (uintptr_t)base + (uintptr_t)size;
    uintptr_t free_start = kit_image_end();
    KIT_CHECK(kit_image_start() >= ram && free_start <= end && end % 8 == 0,
              "image [0x%lx, 0x%lx) is not inside RAM [0x%lx, 0x%lx)",
              (unsigned long)kit_image_start(), (unsigned long)free_start, (unsigned long)ram,
              (unsigned long)end);

    uint64_t t0 = kit_time_ns();
    fill_and_verify(free_start, end);
    kit_printf("RAM [0x%lx, 0x%lx): 0x%lx bytes filled and verified in %lu ms\n",
               (unsigned long)free_start, (unsigned long)end, (unsigned long)(end - free_start),
               (unsigned long)((kit_time_ns() - t0) / KIT_MS(1)));

    check_past_end(end);
    kit_pass();
}
