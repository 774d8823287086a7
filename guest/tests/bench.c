/* Microbenchmarks for `make bench`, run under QEMU -icount shift=0 where one
 * guest instruction is one nanosecond of virtual time, so every figure is an
 * instruction count and repeats exactly.
 *
 * Method (DESIGN.md "Tests and benchmarks"): time batches of BATCH
 * operations, take the median of ROUNDS batches, subtract the median of an
 * empty loop measured the same way. Prints "BENCH <metric> <value>" lines
 * that scripts/bench.py collects. */
#include "kit.h"

KIT_TEST(bench);

#define BATCH 100
#define ROUNDS 101 /* 10,100 operations per figure */

typedef void (*op_fn)(void);

static void op_empty(void) { __asm__ volatile("" ::: "memory"); }
static void op_hypercall(void) { (void)kit_hc0(HC_NOP); }
static void op_mmio_read(void) { (void)kit_mmio_read32(KIT_DUMMY_BASE); }
static void op_mmio_write(void) { kit_mmio_write32(KIT_DUMMY_BASE + 8, 0x12345678u); }

static void sort(uint64_t *a, int n)
{
    for (int i = 1; i < n; i++)
        for (int j = i; j > 0 && a[j - 1] > a[j]; j--) {
            uint64_t t = a[j];
            a[j] = a[j - 1];
            a[j - 1] = t;
        }
}

/* Median and mean time of one batch, in ns (= instructions under icount). */
static uint64_t measure(op_fn op, uint64_t *mean)
{
    static uint64_t r[ROUNDS];
    uint64_t sum = 0;
    for (int k = 0; k < ROUNDS; k++) {
        uint64_t t0 = kit_time_ns();
        for (int i = 0; i < BATCH; i++)
            op();
        r[k] = kit_time_ns() - t0;
        sum += r[k];
    }
    sort(r, ROUNDS);
    if (mean)
        *mean = sum / ROUNDS;
    return r[ROUNDS / 2];
}

static void report(const char *name, op_fn op, uint64_t empty, uint64_t empty_mean)
{
    uint64_t mean;
    uint64_t t = measure(op, &mean);
    uint64_t per = t > empty ? (t - empty) / BATCH : 0;
    uint64_t per_mean = mean > empty_mean ? (mean - empty_mean) / BATCH : 0;
    kit_printf("BENCH %s %llu\n", name, (unsigned long long)per);
    kit_printf("BENCH %s_mean %llu\n", name, (unsigned long long)per_mean);
}

void kit_main(void)
{
    /* warm up the paths once */
    op_hypercall();
    op_mmio_read();
    uint64_t empty_mean;
    uint64_t empty = measure(op_empty, &empty_mean);
    kit_printf("BENCH empty_batch %llu\n", (unsigned long long)empty);
    report("hypercall_roundtrip", op_hypercall, empty, empty_mean);
    report("mmio_read_roundtrip", op_mmio_read, empty, empty_mean);
    report("mmio_write_roundtrip", op_mmio_write, empty, empty_mean);
    kit_pass();
}
