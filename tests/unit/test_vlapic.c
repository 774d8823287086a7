/* The x86 virtual local APIC model: registers, the timer against the
 * caller's clock, interrupt priority, EOI, and what ICR writes ask for. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "../../src/arch/x86_64/vlapic.h"

static struct vlapic l;

static void test_reset_and_ids(void **state)
{
    (void)state;
    vlapic_reset(&l, 3);
    assert_int_equal(vlapic_read(&l, 0x20, 0), 3u << 24);
    assert_int_equal(vlapic_read(&l, 0x30, 0) & 0xff, 0x14);
    assert_int_equal(vlapic_read(&l, 0x320, 0), 1u << 16); /* LVT timer masked */
    assert_int_equal(vlapic_read(&l, 0x24, 0), 0);          /* misaligned */
    assert_int_equal(vlapic_read(&l, 0x800, 0), 0);         /* no such register */
    assert_int_equal(vlapic_pending(&l), -1);
}

static void test_oneshot_timer(void **state)
{
    (void)state;
    vlapic_reset(&l, 0);
    vlapic_write(&l, 0xF0, 0x1FF, 0);          /* software enable */
    vlapic_write(&l, 0x3E0, 0xB, 0);           /* divide by 1: 1 tick = 1 ns */
    vlapic_write(&l, 0x320, 0x40, 0);          /* one-shot, vector 0x40, unmasked */
    vlapic_write(&l, 0x380, 1000, 5000);       /* 1000 ticks from t = 5000 */
    assert_int_equal(vlapic_timer_deadline(&l), 6000);
    assert_int_equal(vlapic_read(&l, 0x390, 5400), 600);
    assert_int_equal(vlapic_pending(&l), -1);
    vlapic_timer_update(&l, 6000);
    assert_int_equal(vlapic_pending(&l), 0x40);
    assert_int_equal(vlapic_read(&l, 0x390, 7000), 0);
    /* an expired one-shot keeps its deadline until the guest stops it */
    assert_int_equal(vlapic_timer_deadline(&l), 6000);
    vlapic_write(&l, 0x380, 0, 7000);
    assert_int_equal(vlapic_timer_deadline(&l), 0);
    /* divide by 16: 100 ticks are 1600 ns */
    vlapic_write(&l, 0x3E0, 0x3, 8000);
    vlapic_write(&l, 0x380, 100, 8000);
    assert_int_equal(vlapic_timer_deadline(&l), 9600);
}

static void test_masked_timer_no_irr(void **state)
{
    (void)state;
    vlapic_reset(&l, 0);
    vlapic_write(&l, 0xF0, 0x1FF, 0);
    vlapic_write(&l, 0x3E0, 0xB, 0);
    vlapic_write(&l, 0x320, (1u << 16) | 0x40, 0); /* masked: the kit's wait */
    vlapic_write(&l, 0x380, 10, 0);
    vlapic_timer_update(&l, 100);
    assert_int_equal(vlapic_pending(&l), -1);
    assert_int_equal(vlapic_read(&l, 0x390, 100), 0);
    assert_int_equal(vlapic_timer_deadline(&l), 10);
}

static void test_periodic(void **state)
{
    (void)state;
    vlapic_reset(&l, 0);
    vlapic_write(&l, 0xF0, 0x1FF, 0);
    vlapic_write(&l, 0x3E0, 0xB, 0);
    vlapic_write(&l, 0x320, (1u << 17) | 0x30, 0);
    vlapic_write(&l, 0x380, 100, 0);
    vlapic_timer_update(&l, 350); /* three periods missed: one interrupt */
    assert_int_equal(vlapic_pending(&l), 0x30);
    assert_int_equal(vlapic_timer_deadline(&l), 400);
    assert_int_equal(vlapic_read(&l, 0x390, 350), 50);
}

static void test_priority_and_eoi(void **state)
{
    (void)state;
    vlapic_reset(&l, 0);
    assert_int_equal(vlapic_pending(&l), -1);
    vlapic_set_irr(&l, 0x51);
    assert_int_equal(vlapic_pending(&l), -1); /* software-disabled */
    vlapic_write(&l, 0xF0, 0x1FF, 0);
    vlapic_set_irr(&l, 0x31);
    assert_int_equal(vlapic_pending(&l), 0x51);
    vlapic_accept(&l, 0x51);
    assert_int_equal(vlapic_read(&l, 0x100 + 0x20, 0), 1u << (0x51 % 32)); /* ISR word 2 */
    assert_int_equal(vlapic_pending(&l), -1); /* 0x31 is below the in-service class */
    vlapic_write(&l, 0xB0, 0, 0);              /* EOI */
    assert_int_equal(vlapic_pending(&l), 0x31);
    vlapic_write(&l, 0x80, 0x40, 0);           /* TPR above 0x31's class */
    assert_int_equal(vlapic_pending(&l), -1);
    vlapic_set_irr(&l, 3);                     /* illegal vector: ignored */
    assert_int_equal(vlapic_read(&l, 0x200, 0), 0);
}

static void test_icr(void **state)
{
    (void)state;
    vlapic_reset(&l, 0);
    vlapic_write(&l, 0x310, 2u << 24, 0);
    struct vlapic_icr r = vlapic_write(&l, 0x300, 0x4500, 0);
    assert_int_equal(r.action, VLAPIC_ICR_INIT);
    assert_int_equal(r.dest, 2);
    r = vlapic_write(&l, 0x300, 0x0500, 0); /* INIT de-assert: nothing */
    assert_int_equal(r.action, VLAPIC_ICR_NONE);
    r = vlapic_write(&l, 0x300, 0x4608, 0);
    assert_int_equal(r.action, VLAPIC_ICR_SIPI);
    assert_int_equal(r.vector, 8);
    r = vlapic_write(&l, 0x300, 0xC4000 | 0xF1, 0); /* all excluding self, fixed */
    assert_int_equal(r.action, VLAPIC_ICR_FIXED);
    assert_int_equal(r.shorthand, 3);
    assert_int_equal(r.vector, 0xF1);
    assert_int_equal(vlapic_read(&l, 0x300, 0) & (1u << 12), 0); /* never busy */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reset_and_ids),
        cmocka_unit_test(test_oneshot_timer),
        cmocka_unit_test(test_masked_timer_no_irr),
        cmocka_unit_test(test_periodic),
        cmocka_unit_test(test_priority_and_eoi),
        cmocka_unit_test(test_icr),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
