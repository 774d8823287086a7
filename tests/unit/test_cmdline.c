#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "ax/cmdline.h"

static void test_get(void **state)
{
    (void)state;
    const char *cl = "  console=ttyAMA0 hv.log=debug  hv.test=fault quiet hv.logx=1";
    const char *v;
    size_t n;
    assert_true(cmdline_get(cl, "hv.log", &v, &n));
    assert_int_equal(n, 5);
    assert_memory_equal(v, "debug", 5);
    assert_true(cmdline_get(cl, "quiet", &v, &n));
    assert_int_equal(n, 0);
    assert_false(cmdline_get(cl, "hv", &v, &n));
    assert_false(cmdline_get(cl, "hv.te", &v, &n));
    assert_true(cmdline_is(cl, "hv.test", "fault"));
    assert_false(cmdline_is(cl, "hv.test", "faul"));
    assert_true(cmdline_is(cl, "hv.logx", "1"));
    assert_false(cmdline_get("", "a", NULL, NULL));
    assert_false(cmdline_get(NULL, "a", NULL, NULL));
    assert_true(cmdline_get("a=", "a", &v, &n));
    assert_int_equal(n, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_get)};
    return cmocka_run_group_tests_name("cmdline", tests, NULL, NULL);
}
