/* axdevice: the per-VM device bus. Emulated devices claim guest-physical
 * MMIO windows (and, on x86, port ranges); an exit for an address in a
 * window calls the device's handler. */
#ifndef AX_DEVBUS_H
#define AX_DEVBUS_H

#include "ax/types.h"

#define DEVBUS_MAX_DEVS 24

struct emu_dev;
struct vm;

struct emu_dev_ops {
    /* off is relative to the window base; width 1/2/4/8. Return 0, or a
     * negative AX_E* for an access the device rejects (the bus then applies
     * read-as-zero / write-ignored and logs, rate-limited). */
    int (*read)(struct emu_dev *d, uint64_t off, unsigned width, uint64_t *val);
    int (*write)(struct emu_dev *d, uint64_t off, unsigned width, uint64_t val);
    void (*destroy)(struct emu_dev *d);
};

struct emu_dev {
    char name[32];
    uint32_t type;          /* VM config emulated device type */
    bool port_io;           /* x86 port window instead of MMIO */
    uint64_t base, size;
    uint32_t irq;
    const struct emu_dev_ops *ops;
    void *priv;
    struct vm *vm;
    uint64_t reads, writes; /* statistics */
    uint32_t bad_logs;
};

struct devbus {
    struct emu_dev *devs[DEVBUS_MAX_DEVS];
    unsigned count;
};

void devbus_init(struct devbus *bus);
/* -AX_EEXIST on an overlapping window, -AX_ENOSPC when full. The bus owns
 * the device afterwards. */
int devbus_add(struct devbus *bus, struct emu_dev *dev);
struct emu_dev *devbus_find(struct devbus *bus, bool port_io, uint64_t addr, unsigned width);
/* Dispatch an access. Returns -AX_ENOENT when no device claims it;
 * otherwise 0 (a rejected access reads as zero, writes are dropped). */
int devbus_access(struct devbus *bus, bool port_io, uint64_t addr, unsigned width, bool write,
                  uint64_t *val);
void devbus_destroy(struct devbus *bus);

/* Emulated device constructors (src/axdevice/). Each returns NULL on
 * failure with a message in err (one line). */
struct emu_dev *dummy_dev_create(uint64_t base, uint64_t size, char *err, size_t errlen);
struct emu_dev *vpl011_create(uint64_t base, uint64_t size, uint32_t irq, char *err, size_t errlen);

#endif
