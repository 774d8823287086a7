/* Boot self-checks: each prints "selftest NAME: PASS|FAIL ..." and the run
 * returns the number of failures. Integration tests look for these lines. */
#ifndef AX_SELFTEST_H
#define AX_SELFTEST_H

int selftest_run_all(void);
int selftest_sched(void);
/* hv.test=vmcycle (src/axvisor/vmcycle.c): create, start, stop and delete
 * the first built-in VM `cycles` times; free pages and heap allocations
 * must come back. Needs the VM manager running in another task. Returns
 * the number of failures (0 or 1). */
int selftest_vmcycle(unsigned cycles);

#endif
