/* Boot self-checks: each prints "selftest NAME: PASS|FAIL ..." and the run
 * returns the number of failures. Integration tests look for these lines. */
#ifndef AX_SELFTEST_H
#define AX_SELFTEST_H

int selftest_run_all(void);
int selftest_sched(void);

#endif
