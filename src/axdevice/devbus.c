/* The per-VM device bus: a short sorted-by-insertion list of windows. VMs
 * have a handful of devices, so a linear scan is the fastest lookup. */
#include "ax/devbus.h"
#include "ax/heap.h"
#include "ax/string.h"

void devbus_init(struct devbus *bus) { memset(bus, 0, sizeof(*bus)); }

static bool overlaps(uint64_t a, uint64_t as, uint64_t b, uint64_t bs)
{
    return a < b + bs && b < a + as;
}

int devbus_add(struct devbus *bus, struct emu_dev *dev)
{
    if (!dev || dev->size == 0 || dev->base + dev->size < dev->base)
        return -AX_EINVAL;
    for (unsigned i = 0; i < bus->count; i++) {
        struct emu_dev *d = bus->devs[i];
        if (d->port_io == dev->port_io && overlaps(d->base, d->size, dev->base, dev->size))
            return -AX_EEXIST;
    }
    if (bus->count >= DEVBUS_MAX_DEVS)
        return -AX_ENOSPC;
    bus->devs[bus->count++] = dev;
    return 0;
}

struct emu_dev *devbus_find(struct devbus *bus, bool port_io, uint64_t addr, unsigned width)
{
    for (unsigned i = 0; i < bus->count; i++) {
        struct emu_dev *d = bus->devs[i];
        if (d->port_io == port_io && addr >= d->base && addr - d->base < d->size &&
            width <= d->size - (addr - d->base))
            return d;
    }
    return NULL;
}

int devbus_access(struct devbus *bus, bool port_io, uint64_t addr, unsigned width, bool write,
                  uint64_t *val)
{
    struct emu_dev *d = devbus_find(bus, port_io, addr, width);
    if (!d)
        return -AX_ENOENT;
    uint64_t off = addr - d->base;
    int err;
    if (write) {
        d->writes++;
        err = d->ops->write ? d->ops->write(d, off, width, *val) : -AX_ENOSYS;
    } else {
        d->reads++;
        *val = 0;
        err = d->ops->read ? d->ops->read(d, off, width, val) : -AX_ENOSYS;
        if (err)
            *val = 0;
    }
    return err ? err : 0;
}

void devbus_destroy(struct devbus *bus)
{
    for (unsigned i = 0; i < bus->count; i++) {
        struct emu_dev *d = bus->devs[i];
        if (d->ops && d->ops->destroy)
            d->ops->destroy(d);
        kfree(d->priv);
        kfree(d);
        bus->devs[i] = NULL;
    }
    bus->count = 0;
}
