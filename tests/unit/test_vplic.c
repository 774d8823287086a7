/* Unit tests for the virtual PLIC register model. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "ax/vplic.h"

static struct vplic P;
static unsigned notes;
static bool line[VPLIC_MAX_CTX];

static void notify(void *arg, unsigned ctx, bool level)
{
    assert_ptr_equal(arg, &P);
    assert_true(ctx < VPLIC_MAX_CTX);
    assert_int_not_equal(line[ctx], level); /* only changes are reported */
    line[ctx] = level;
    notes++;
}

static int setup(void **state)
{
    (void)state;
    notes = 0;
    for (unsigned i = 0; i < VPLIC_MAX_CTX; i++)
        line[i] = false;
    return vplic_init(&P, 40, 2, notify, &P);
}

#define PRIO(s) (VPLIC_PRIORITY + 4 * (s))
#define ENABLE(c) (VPLIC_ENABLE + VPLIC_ENABLE_STRIDE * (c))
#define THRESH(c) (VPLIC_CONTEXT + VPLIC_CONTEXT_STRIDE * (c))
#define CLAIM(c) (THRESH(c) + 4)

static void test_init_limits(void **state)
{
    (void)state;
    struct vplic p;
    assert_int_equal(vplic_init(&p, 1, 1, NULL, NULL), -AX_EINVAL);
    assert_int_equal(vplic_init(&p, VPLIC_MAX_SRC + 1, 1, NULL, NULL), -AX_EINVAL);
    assert_int_equal(vplic_init(&p, 8, 0, NULL, NULL), -AX_EINVAL);
    assert_int_equal(vplic_init(&p, 8, VPLIC_MAX_CTX + 1, NULL, NULL), -AX_EINVAL);
    assert_int_equal(vplic_init(&p, VPLIC_MAX_SRC, VPLIC_MAX_CTX, NULL, NULL), 0);
}

static void test_claim_complete(void **state)
{
    (void)state;
    vplic_write(&P, PRIO(10), 4, 1);
    vplic_write(&P, ENABLE(0), 4, 1u << 10);
    vplic_set_level(&P, 10, true);
    assert_true(line[0]);
    assert_false(line[1]); /* not enabled there */
    assert_int_equal(vplic_read(&P, VPLIC_PENDING, 4), 1u << 10);
    assert_int_equal(vplic_read(&P, CLAIM(0), 4), 10);
    assert_false(line[0]);
    assert_int_equal(vplic_read(&P, VPLIC_PENDING, 4), 0);
    assert_int_equal(vplic_read(&P, CLAIM(0), 4), 0); /* nothing else */
    /* the line is still high: pending again after complete */
    vplic_write(&P, CLAIM(0), 4, 10);
    assert_true(line[0]);
    assert_int_equal(vplic_read(&P, CLAIM(0), 4), 10);
    vplic_set_level(&P, 10, false);
    vplic_write(&P, CLAIM(0), 4, 10);
    assert_false(line[0]);
    assert_int_equal(vplic_read(&P, CLAIM(0), 4), 0);
}

static void test_priority_threshold(void **state)
{
    (void)state;
    vplic_write(&P, PRIO(3), 4, 2);
    vplic_write(&P, PRIO(33), 4, 5);
    vplic_write(&P, PRIO(7), 4, 5);
    vplic_write(&P, ENABLE(1), 4, (1u << 3) | (1u << 7));
    vplic_write(&P, ENABLE(1) + 4, 4, 1u << 1); /* source 33 */
    assert_int_equal(vplic_read(&P, ENABLE(1) + 4, 4), 2);
    vplic_set_level(&P, 3, true);
    vplic_set_level(&P, 33, true);
    vplic_set_level(&P, 7, true);
    assert_true(line[1]);
    /* threshold 5 masks everything (priority must be above it) */
    vplic_write(&P, THRESH(1), 4, 5);
    assert_false(line[1]);
    assert_int_equal(vplic_read(&P, CLAIM(1), 4), 0);
    vplic_write(&P, THRESH(1), 4, 1);
    /* equal priority 5: the lower id wins */
    assert_int_equal(vplic_read(&P, CLAIM(1), 4), 7);
    assert_int_equal(vplic_read(&P, CLAIM(1), 4), 33);
    assert_int_equal(vplic_read(&P, CLAIM(1), 4), 3);
    assert_int_equal(vplic_read(&P, CLAIM(1), 4), 0);
    /* priority 0 never interrupts */
    vplic_write(&P, PRIO(3), 4, 0);
    vplic_write(&P, CLAIM(1), 4, 3);
    assert_int_equal(vplic_read(&P, VPLIC_PENDING, 4), 1u << 3);
    assert_int_equal(vplic_read(&P, CLAIM(1), 4), 0);
    assert_int_equal(vplic_read(&P, PRIO(3), 4), 0);
    vplic_write(&P, PRIO(3), 4, 0xff);
    assert_int_equal(vplic_read(&P, PRIO(3), 4), 7);
}

static void test_bad_accesses(void **state)
{
    (void)state;
    /* source 0 and sources beyond nsrc do not exist */
    vplic_write(&P, PRIO(0), 4, 7);
    assert_int_equal(vplic_read(&P, PRIO(0), 4), 0);
    vplic_write(&P, PRIO(50), 4, 7);
    assert_int_equal(vplic_read(&P, PRIO(50), 4), 0);
    vplic_set_level(&P, 0, true);
    vplic_set_level(&P, 63, true);
    vplic_set_level(&P, 1000, true);
    assert_int_equal(vplic_read(&P, VPLIC_PENDING, 4), 0);
    assert_int_equal(vplic_read(&P, VPLIC_PENDING + 4, 4), 0);
    /* enable bits for nonexistent sources stay clear */
    vplic_write(&P, ENABLE(0), 4, 0xffffffffu);
    vplic_write(&P, ENABLE(0) + 4, 4, 0xffffffffu);
    assert_int_equal(vplic_read(&P, ENABLE(0), 4), 0xfffffffeu);
    assert_int_equal(vplic_read(&P, ENABLE(0) + 4, 4), 0xffu);
    /* contexts beyond nctx, odd widths and offsets, the window's end */
    vplic_write(&P, THRESH(5), 4, 3);
    assert_int_equal(vplic_read(&P, THRESH(5), 4), 0);
    assert_int_equal(vplic_read(&P, CLAIM(7), 4), 0);
    vplic_write(&P, PRIO(2), 1, 3);
    assert_int_equal(vplic_read(&P, PRIO(2), 4), 0);
    assert_int_equal(vplic_read(&P, PRIO(2) + 1, 4), 0);
    assert_int_equal(vplic_read(&P, VPLIC_WINDOW, 4), 0);
    assert_int_equal(vplic_read(&P, ~3ull, 4), 0);
    vplic_write(&P, ~3ull, 4, 1);
    /* completing what was never claimed changes nothing */
    vplic_write(&P, PRIO(5), 4, 1);
    vplic_set_level(&P, 5, true);
    assert_true(line[0]);
    vplic_write(&P, CLAIM(0), 4, 5);
    vplic_write(&P, CLAIM(0), 4, 0);
    vplic_write(&P, CLAIM(0), 4, 0xffffffffu);
    assert_int_equal(vplic_read(&P, VPLIC_PENDING, 4), 1u << 5);
    /* a source dropping its line before the claim is no longer pending */
    vplic_set_level(&P, 5, false);
    assert_false(line[0]);
    assert_int_equal(vplic_read(&P, CLAIM(0), 4), 0);
    assert_int_equal(notes, 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_init_limits),
        cmocka_unit_test_setup(test_claim_complete, setup),
        cmocka_unit_test_setup(test_priority_threshold, setup),
        cmocka_unit_test_setup(test_bad_accesses, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
