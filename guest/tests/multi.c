/* multi: several VMs at once. The same program runs as multi1, multi2 and
 * multi3 (VM ids 11, 12, 13); each prints who it is three times, spaced by
 * sleeping, and checks with HC_TIME_NS that the host clock moved on at
 * least as much. The integration test checks all three VMs' lines. */
#include "kit.h"

KIT_TEST(multi);

#define LINES 3
#define SPACING KIT_MS(20)

/* A guest cannot ask for its VM's name; the ids are the configs'. */
static const char *name_of(int64_t id)
{
    switch (id) {
    case 11: return "multi1";
    case 12: return "multi2";
    case 13: return "multi3";
    default: return NULL;
    }
}

void kit_main(void)
{
    int64_t id = kit_guest_info(HC_INFO_VM_ID);
    const char *name = name_of(id);
    KIT_CHECK(name, "VM id %ld is not one of the multi configs' (11, 12, 13)", (long)id);

    int64_t prev = kit_hc0(HC_TIME_NS);
    for (unsigned i = 1; i <= LINES; i++) {
        if (i > 1)
            kit_sleep_ns(SPACING);
        int64_t now = kit_hc0(HC_TIME_NS);
        KIT_CHECK(now >= 0, "HC_TIME_NS returned %ld", (long)now);
        kit_printf("multi: vm %ld (%s) line %u of %u at host time %ld us\n", (long)id, name, i,
                   LINES, (long)(now / 1000));
        /* the guest slept SPACING by its own clock; allow 1 ms of rounding */
        if (i > 1)
            KIT_CHECK((uint64_t)(now - prev) + KIT_MS(1) >= SPACING,
                      "host time moved %ld ns while the guest slept %lu ns", (long)(now - prev),
                      (unsigned long)SPACING);
        prev = now;
    }
    kit_pass();
}
