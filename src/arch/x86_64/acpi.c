/* The few ACPI facts the hypervisor needs: the CPUs' local APIC ids (MADT)
 * and how to power off (FADT PM1a/PM1b control ports and the \_S5 sleep
 * type from the DSDT). Tables are read in place through the boot identity
 * map, before mmu.c builds the final map. Every length is checked against
 * the table's own header and a sane cap; a bad checksum rejects a table. */
#include "ax/log.h"
#include "ax/string.h"
#include "platform.h"

#define TABLE_MAX (1u << 20)

struct acpi_header {
    char sig[4];
    uint32_t length;
    uint8_t revision, checksum;
    char oem[6], oem_table[8];
    uint32_t oem_rev, creator, creator_rev;
} __attribute__((packed));

/* The asm hides the constant address from GCC's bounds checks: low
 * physical addresses are real memory here. */
static const uint8_t *phys(uint64_t pa)
{
    const uint8_t *p = (const uint8_t *)(uintptr_t)pa;
    __asm__("" : "+r"(p));
    return p;
}

static uint32_t rd32(const uint8_t *p) { return p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24; }
static uint64_t rd64(const uint8_t *p) { return rd32(p) | (uint64_t)rd32(p + 4) << 32; }

static bool sum_ok(const uint8_t *p, size_t n)
{
    uint8_t s = 0;
    for (size_t i = 0; i < n; i++)
        s = (uint8_t)(s + p[i]);
    return s == 0;
}

/* RSDP: 16-byte aligned, in the first KiB of the EBDA or in 0xE0000-0xFFFFF. */
static const uint8_t *rsdp_scan(uint64_t start, uint64_t len)
{
    for (uint64_t a = start; a + 20 <= start + len; a += 16) {
        const uint8_t *p = phys(a);
        if (memcmp(p, "RSD PTR ", 8) == 0 && sum_ok(p, 20))
            return p;
    }
    return NULL;
}

static const uint8_t *rsdp_find(void)
{
    uint64_t ebda = (uint64_t)(*(const uint16_t *)phys(0x40E)) << 4;
    const uint8_t *r = NULL;
    if (ebda >= 0x80000 && ebda < 0xA0000)
        r = rsdp_scan(ebda, 1024);
    return r ? r : rsdp_scan(0xE0000, 0x20000);
}

static const struct acpi_header *table_at(uint64_t pa)
{
    if (!pa || pa >= (4ULL << 30))
        return NULL; /* only the boot map's first 4 GiB are reachable now */
    const struct acpi_header *h = (const struct acpi_header *)phys(pa);
    if (h->length < sizeof(*h) || h->length > TABLE_MAX || pa + h->length > (4ULL << 30))
        return NULL;
    if (!sum_ok((const uint8_t *)h, h->length))
        return NULL;
    return h;
}

static void madt_parse(const struct acpi_header *h)
{
    const uint8_t *p = (const uint8_t *)h + sizeof(*h) + 8; /* LAPIC address, flags */
    const uint8_t *end = (const uint8_t *)h + h->length;
    uint32_t bsp = lapic_read_id();
    platform.cpu_count = 1;
    platform.apic_id[0] = bsp;
    platform.cpu_total = 0;
    while (p + 2 <= end && p[1] >= 2 && p + p[1] <= end) {
        uint32_t id = 0;
        bool enabled = false, have = false;
        if (p[0] == 0 && p[1] >= 8) { /* processor local APIC */
            id = p[3];
            enabled = rd32(p + 4) & 1;
            have = true;
        } else if (p[0] == 9 && p[1] >= 16) { /* processor local x2APIC */
            id = rd32(p + 4);
            enabled = rd32(p + 8) & 1;
            have = true;
        }
        if (have && enabled) {
            platform.cpu_total++;
            if (id != bsp && platform.cpu_count < AX_MAX_CPUS && id < 0xff)
                platform.apic_id[platform.cpu_count++] = id;
        }
        p += p[1];
    }
    if (platform.cpu_total == 0)
        platform.cpu_total = 1;
    platform.madt = true;
}

/* Finds Name(_S5_, Package() {a, b, ...}) in the AML and reads SLP_TYPa/b.
 * Integers are ByteConst (0x0A nn), ZeroOp (0x00) or OneOp (0x01). */
static bool aml_int(const uint8_t **pp, const uint8_t *end, uint16_t *out)
{
    const uint8_t *p = *pp;
    if (p >= end)
        return false;
    if (*p == 0x00 || *p == 0x01) {
        *out = *p;
        *pp = p + 1;
        return true;
    }
    if (*p == 0x0A && p + 1 < end) {
        *out = p[1];
        *pp = p + 2;
        return true;
    }
    return false;
}

static void dsdt_find_s5(const struct acpi_header *h)
{
    const uint8_t *p = (const uint8_t *)h + sizeof(*h);
    const uint8_t *end = (const uint8_t *)h + h->length;
    for (; p + 8 < end; p++) {
        if (memcmp(p, "_S5_", 4) != 0 || p[4] != 0x12)
            continue;
        const uint8_t *q = p + 5;
        unsigned lead = *q >> 6; /* PkgLength: extra bytes */
        q += 1 + lead;
        if (q >= end)
            return;
        q++; /* NumElements */
        uint16_t a, b = 0;
        if (!aml_int(&q, end, &a))
            return;
        aml_int(&q, end, &b);
        platform.slp_typ_s5a = a & 7;
        platform.slp_typ_s5b = b & 7;
        platform.have_s5 = true;
        return;
    }
}

static void fadt_parse(const struct acpi_header *h)
{
    const uint8_t *f = (const uint8_t *)h;
    uint64_t dsdt = 0;
    if (h->length >= 68) {
        platform.pm1a_cnt = (uint16_t)rd32(f + 64);
        dsdt = rd32(f + 40);
    }
    if (h->length >= 148 && rd64(f + 140))
        dsdt = rd64(f + 140);
    if (h->length >= 184 && f[172] == 1 && rd64(f + 176)) /* X_PM1a_CNT_BLK in I/O space */
        platform.pm1a_cnt = (uint16_t)rd64(f + 176);
    if (h->length >= 72)
        platform.pm1b_cnt = (uint16_t)rd32(f + 68);
    const struct acpi_header *d = table_at(dsdt);
    if (d && memcmp(d->sig, "DSDT", 4) == 0)
        dsdt_find_s5(d);
}

void acpi_init(void)
{
    platform.cpu_count = 1;
    platform.cpu_total = 1;
    platform.apic_id[0] = lapic_read_id();
    const uint8_t *rsdp = rsdp_find();
    if (!rsdp) {
        log_warn("acpi: no RSDP; one CPU, no ACPI power-off");
        return;
    }
    platform.acpi = true;
    bool xsdt = rsdp[15] >= 2 && rd64(rsdp + 24) != 0 && sum_ok(rsdp, 36);
    const struct acpi_header *root = table_at(xsdt ? rd64(rsdp + 24) : rd32(rsdp + 16));
    if (!root) {
        log_warn("acpi: root table unreadable");
        return;
    }
    unsigned esz = xsdt ? 8 : 4;
    unsigned n = (root->length - sizeof(*root)) / esz;
    const uint8_t *ents = (const uint8_t *)root + sizeof(*root);
    for (unsigned i = 0; i < n; i++) {
        uint64_t pa = esz == 8 ? rd64(ents + 8 * i) : rd32(ents + 4 * i);
        const struct acpi_header *t = table_at(pa);
        if (!t)
            continue;
        if (memcmp(t->sig, "APIC", 4) == 0 && t->length >= sizeof(*t) + 8)
            madt_parse(t);
        else if (memcmp(t->sig, "FACP", 4) == 0)
            fadt_parse(t);
    }
}
