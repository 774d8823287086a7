/* mmio: emulated MMIO against the "dummy" test device (see
 * ax/hypercall_abi.h: every byte reads back what was last written there,
 * never-written bytes read DUMMY_RESET_BYTE(offset), top bit always set).
 *
 * The test keeps a shadow copy of the device and checks every read against
 * it: reset values at widths 1/2/4/8, the arch's exact load/store forms
 * (register numbers, w/x destinations, sign extension, the zero register,
 * addressing modes; kit_arch_mmio_forms), write-then-read at every width,
 * narrow writes inside a wider word, and finally the whole window, which
 * catches a write that landed at the wrong offset or was too wide. */
#include "kit.h"

KIT_TEST(mmio);

#define DEV KIT_DUMMY_BASE
#define POISON 0xa5a5a5a5a5a5a5a5ull

/* the device window as the test believes it to be */
static uint8_t shadow[KIT_DUMMY_SIZE];
static unsigned accesses;

static uint64_t shadow_get(uint64_t off, unsigned width)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < width; i++)
        v |= (uint64_t)shadow[off + i] << (8 * i);
    return v;
}

static void shadow_put(uint64_t off, unsigned width, uint64_t v)
{
    for (unsigned i = 0; i < width; i++)
        shadow[off + i] = (uint8_t)(v >> (8 * i));
}

static uint64_t width_mask(unsigned bits)
{
    return bits >= 64 ? ~0ull : (1ull << bits) - 1;
}

static uint64_t dev_read(uint64_t off, unsigned width)
{
    uintptr_t a = DEV + off;
    accesses++;
    switch (width) {
    case 1: return kit_mmio_read8(a);
    case 2: return kit_mmio_read16(a);
    case 4: return kit_mmio_read32(a);
    default: return kit_mmio_read64(a);
    }
}

static void dev_write(uint64_t off, unsigned width, uint64_t v)
{
    uintptr_t a = DEV + off;
    accesses++;
    switch (width) {
    case 1: kit_mmio_write8(a, (uint8_t)v); break;
    case 2: kit_mmio_write16(a, (uint16_t)v); break;
    case 4: kit_mmio_write32(a, (uint32_t)v); break;
    default: kit_mmio_write64(a, v); break;
    }
    shadow_put(off, width, v);
}

static void expect_read(uint64_t off, unsigned width, const char *phase)
{
    uint64_t got = dev_read(off, width);
    uint64_t want = shadow_get(off, width);
    KIT_CHECK(got == want, "%s: %u-byte read at +0x%lx gave 0x%lx, expected 0x%lx", phase, width,
              (unsigned long)off, (unsigned long)got, (unsigned long)want);
}

static void check_reset_values(void)
{
    static const uint16_t offs[] = { 0x000, 0x008, 0x078, 0x080, 0x0f8, 0x7f8, 0xff8 };
    for (unsigned i = 0; i < ARRAY_SIZE(offs); i++) {
        for (unsigned w = 1; w <= 8; w *= 2) {
            for (unsigned pos = 0; pos < 8; pos += w)
                expect_read(offs[i] + pos, w, "reset value");
        }
    }
    /* the reset pattern itself, independent of the shadow */
    uint64_t v = kit_mmio_read64(DEV + 0x80);
    KIT_CHECK(v == 0x8786858483828180ull, "8-byte read at +0x80 gave 0x%lx", (unsigned long)v);
}

/* Where in an 8-byte word an access of this width goes: not always at 0. */
static unsigned lane(unsigned width)
{
    switch (width) {
    case 1: return 5;
    case 2: return 2;
    case 4: return 4;
    default: return 0;
    }
}

static uint64_t load_result(const struct kit_mmio_form *f, uint64_t raw)
{
    unsigned bits = 8u * f->width;
    uint64_t v = raw;
    if (f->sign && bits < 64 && (raw >> (bits - 1)) & 1)
        v |= ~width_mask(bits);
    v &= width_mask(f->reg_bits);
    if (f->merge)
        v |= POISON & ~width_mask(f->reg_bits);
    return v;
}

static void check_load_form(const struct kit_mmio_form *f, uint64_t off)
{
    uint64_t got = f->run(DEV + off, POISON);
    accesses++;
    uint64_t want = load_result(f, shadow_get(off, f->width));
    KIT_CHECK(got == want, "`%s` at +0x%lx gave 0x%lx, expected 0x%lx", f->insn,
              (unsigned long)off, (unsigned long)got, (unsigned long)want);
    /* the reset bytes have their top bit set: sign extension must show */
    if (f->sign && f->reg_bits == 64)
        KIT_CHECK((int64_t)got < 0, "`%s` gave 0x%lx, not negative", f->insn, (unsigned long)got);
    if (f->sign && f->reg_bits == 32)
        KIT_CHECK((int32_t)got < 0, "`%s` gave 0x%lx, not negative", f->insn, (unsigned long)got);
}

static void check_store_form(const struct kit_mmio_form *f, uint64_t off, unsigned i)
{
    /* distinct per form, every byte unlike a reset byte (top bit clear) and
     * nonzero, and bits above the access width set to catch a too-wide write */
    uint64_t v = 0x0102030405060708ull * (i + 1) & 0x7f7f7f7f7f7f7f7full;
    v |= 0x0101010101010101ull;
    f->run(DEV + off, v);
    accesses++;
    shadow_put(off, f->width, f->zero_src ? 0 : v);
    uint64_t word = off & ~7ull;
    for (uint64_t w = word; w < word + 16 && w < KIT_DUMMY_SIZE; w += 8) {
        uint64_t got = kit_mmio_read64(DEV + w);
        accesses++;
        KIT_CHECK(got == shadow_get(w, 8), "after `%s` at +0x%lx the word at +0x%lx is 0x%lx, expected 0x%lx",
                  f->insn, (unsigned long)off, (unsigned long)w, (unsigned long)got,
                  (unsigned long)shadow_get(w, 8));
    }
}

static void check_forms(void)
{
    uint64_t load_off = 0x100, store_off = 0x400;
    for (unsigned i = 0; i < kit_arch_mmio_nforms; i++) {
        const struct kit_mmio_form *f = &kit_arch_mmio_forms[i];
        switch (f->kind) {
        case KIT_MMIO_LOAD:
            check_load_form(f, load_off + lane(f->width));
            load_off += 8;
            break;
        case KIT_MMIO_LOAD_DISCARD:
            KIT_CHECK(f->run(DEV + load_off + lane(f->width), 0) == 1,
                      "`%s` changed the stack pointer", f->insn);
            accesses++;
            load_off += 8;
            break;
        default:
            check_store_form(f, store_off + lane(f->width), i);
            store_off += 16;
            break;
        }
    }
    KIT_CHECK(load_off <= 0x200 && store_off <= 0x800, "too many MMIO forms for the layout");
    kit_printf("mmio: %u instruction forms ok\n", kit_arch_mmio_nforms);
}

static void check_write_read(void)
{
    static const uint64_t vals[4] = { 0x5a, 0x1234, 0x0badcafe, 0x0123456789abcdefull };
    uint64_t off = 0x200;
    for (unsigned k = 0, w = 1; w <= 8; k++, w *= 2, off += 16) {
        dev_write(off + lane(w), w, vals[k]);
        expect_read(off + lane(w), w, "write/read back");
        for (unsigned pos = 0; pos < 16; pos++)
            expect_read(off + pos, 1, "bytes around a write");
        expect_read(off, 8, "word around a write");
        expect_read(off + 8, 8, "word after a write");
    }
}

static void check_narrow_in_wide(void)
{
    uint64_t off = 0x300;
    dev_write(off, 8, 0x1122334455667788ull);
    dev_write(off + 3, 1, 0xab);
    uint64_t v = kit_mmio_read64(DEV + off);
    KIT_CHECK(v == 0x11223344ab667788ull, "byte write at +3 of a word: word reads 0x%lx",
              (unsigned long)v);
    expect_read(off, 8, "byte inside a word");
    dev_write(off + 6, 2, 0xcdef);
    expect_read(off, 8, "halfword inside a word");
    dev_write(off + 0, 4, 0x13579bdf);
    expect_read(off, 8, "word inside a doubleword");
    for (unsigned pos = 0; pos < 8; pos++)
        expect_read(off + pos, 1, "bytes of a rewritten word");
    expect_read(off + 2, 2, "halfword of a rewritten word");
    expect_read(off + 4, 4, "word of a rewritten word");
}

static void check_whole_window(void)
{
    for (uint64_t off = 0; off < KIT_DUMMY_SIZE; off += 8)
        expect_read(off, 8, "final scan");
}

void kit_main(void)
{
    for (uint64_t off = 0; off < KIT_DUMMY_SIZE; off++)
        shadow[off] = (uint8_t)DUMMY_RESET_BYTE(off);

    check_reset_values();
    check_forms();
    check_write_read();
    check_narrow_in_wide();
    check_whole_window();
    kit_printf("mmio: %u accesses checked\n", accesses);
    kit_pass();
}
