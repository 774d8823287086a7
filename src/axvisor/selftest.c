/* Runs the boot self-checks in order. */
#include "ax/frame.h"
#include "ax/heap.h"
#include "ax/log.h"
#include "ax/selftest.h"

static int selftest_alloc(void)
{
    struct frame_stats before, after;
    frame_stats(&before);
    int err = axalloc_selftest();
    frame_stats(&after);
    if (err || frame_check() || heap_check()) {
        log_error("selftest alloc: FAIL (%d)", err);
        return 1;
    }
    if (after.free_pages != before.free_pages) {
        log_error("selftest alloc: FAIL: free pages %llu before, %llu after",
                  (unsigned long long)before.free_pages, (unsigned long long)after.free_pages);
        return 1;
    }
    log_info("selftest alloc: PASS (%llu pages free)", (unsigned long long)after.free_pages);
    return 0;
}

int selftest_run_all(void)
{
    int failed = 0;
    failed += selftest_alloc();
    failed += selftest_sched();
    return failed;
}
