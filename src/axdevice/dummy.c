/* The "dummy" device (type 0x0): a byte-addressed test register file used by
 * the guest kit's MMIO test. See DUMMY_RESET_BYTE in hypercall_abi.h. */
#include "ax/devbus.h"
#include "ax/format.h"
#include "ax/heap.h"
#include "ax/hypercall_abi.h"
#include "ax/string.h"

#define DUMMY_MAX_SIZE 0x10000

static int dummy_read(struct emu_dev *d, uint64_t off, unsigned width, uint64_t *val)
{
    const uint8_t *mem = d->priv;
    uint64_t v = 0;
    for (unsigned i = 0; i < width; i++)
        v |= (uint64_t)mem[off + i] << (8 * i);
    *val = v;
    return 0;
}

static int dummy_write(struct emu_dev *d, uint64_t off, unsigned width, uint64_t val)
{
    uint8_t *mem = d->priv;
    for (unsigned i = 0; i < width; i++)
        mem[off + i] = (uint8_t)(val >> (8 * i));
    return 0;
}

static const struct emu_dev_ops dummy_ops = {.read = dummy_read, .write = dummy_write};

struct emu_dev *dummy_dev_create(uint64_t base, uint64_t size, char *err, size_t errlen)
{
    if (size == 0 || size > DUMMY_MAX_SIZE) {
        ax_snprintf(err, errlen, "dummy device: size %#llx not in 1..%#x", (unsigned long long)size,
                    DUMMY_MAX_SIZE);
        return NULL;
    }
    struct emu_dev *d = kzalloc(sizeof(*d));
    uint8_t *mem = kmalloc(size);
    if (!d || !mem) {
        kfree(d);
        kfree(mem);
        ax_snprintf(err, errlen, "dummy device: out of memory");
        return NULL;
    }
    for (uint64_t i = 0; i < size; i++)
        mem[i] = (uint8_t)DUMMY_RESET_BYTE(i);
    memcpy(d->name, "dummy", 6);
    d->base = base;
    d->size = size;
    d->ops = &dummy_ops;
    d->priv = mem;
    return d;
}
