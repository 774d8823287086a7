/* virtio 1.x drivers for the hypervisor's own devices: split virtqueues, the
 * virtio-mmio (register version 2) and modern virtio-pci transports, and a
 * virtio-blk block device exposed as a struct blockdev.
 *
 * The device is untrusted in the sense that a broken or hostile one must
 * give errors, never a crash, a hang or a read outside driver memory: every
 * value read from it (magic, version, queue sizes, capabilities, used-ring
 * index / id / length, status byte) is checked, every wait is bounded, and
 * the driver's bookkeeping lives in private "shadow" state, never re-read
 * from memory the device can write. After an impossible answer the device is
 * reset and marked broken; later requests fail with -AX_EIO.
 *
 * Completion is polled (the queue asks for no interrupts). One request is
 * in flight at a time; callers serialise requests (the filesystem lock).
 *
 * Register access goes through a struct virtio_io so that host tests can put
 * a fake device behind it; the hypervisor uses virtio_io_direct (volatile
 * loads and stores on identity-mapped windows). Memory shared with the
 * device (rings, request headers) comes from the frame allocator, and buffer
 * addresses are given to the device as virt_to_phys(): the hypervisor maps
 * its RAM one to one. All three arches are little-endian, like virtio 1.x, so
 * ring fields are stored as plain integers. */
#ifndef AX_VIRTIO_H
#define AX_VIRTIO_H

#include "ax/blockdev.h"
#include "ax/types.h"

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the virtio drivers assume a little-endian CPU"
#endif

/* ---- common definitions (virtio 1.x) ---- */

#define VIRTIO_STATUS_ACKNOWLEDGE 0x01u
#define VIRTIO_STATUS_DRIVER 0x02u
#define VIRTIO_STATUS_DRIVER_OK 0x04u
#define VIRTIO_STATUS_FEATURES_OK 0x08u
#define VIRTIO_STATUS_NEEDS_RESET 0x40u
#define VIRTIO_STATUS_FAILED 0x80u

#define VIRTIO_F_VERSION_1 32

#define VIRTIO_ID_BLOCK 2

/* ---- split virtqueue ---- */

#define VRING_DESC_F_NEXT 1
#define VRING_DESC_F_WRITE 2
#define VRING_AVAIL_F_NO_INTERRUPT 1

struct vring_desc {
    uint64_t addr;
    uint32_t len;
    uint16_t flags;
    uint16_t next;
};

struct vring_avail {
    uint16_t flags;
    uint16_t idx;
    uint16_t ring[]; /* size entries, then used_event */
};

struct vring_used_elem {
    uint32_t id;
    uint32_t len;
};

struct vring_used {
    uint16_t flags;
    uint16_t idx;
    struct vring_used_elem ring[]; /* size entries, then avail_event */
};

/* Largest queue the driver uses (a polled driver with one request in
 * flight needs 3 descriptors; a few more cost nothing). */
#define VIRTQ_MAX_SIZE 16

/* One buffer of a chain: device-readable ones must come before
 * device-writable ones (the spec's rule). */
struct virtq_buf {
    paddr_t addr;
    uint32_t len;
    bool device_writes;
};

struct virtq {
    uint16_t size; /* a power of two, 1..VIRTQ_MAX_SIZE */
    volatile struct vring_desc *desc;
    volatile struct vring_avail *avail;
    volatile struct vring_used *used;
    paddr_t desc_pa, avail_pa, used_pa;
    /* Driver-private state: never read back from shared memory. */
    uint16_t avail_idx; /* the avail index last published */
    uint16_t last_used; /* the next used entry to consume */
    uint16_t free_head;
    uint16_t num_free;
    uint16_t in_flight;                  /* chains published, not yet used */
    uint16_t next[VIRTQ_MAX_SIZE];       /* free list and chain links */
    uint8_t chain_len[VIRTQ_MAX_SIZE];   /* descriptors of the chain headed here; 0: not in flight */
    uint32_t chain_wlen[VIRTQ_MAX_SIZE]; /* bytes the device may write into that chain */
};

/* Bytes of shared memory a queue of `size` entries needs (descriptor table,
 * avail ring, used ring, with the spec's alignment). 0 for a bad size. */
size_t virtq_mem_size(uint16_t size);

/* Lays a queue out in `mem` (virtq_mem_size bytes, 16-byte aligned), which
 * the device sees at `mem_pa`. Zeroes it and asks for no interrupts.
 * -AX_EINVAL if size is not a power of two in 1..VIRTQ_MAX_SIZE. */
int virtq_init(struct virtq *vq, uint16_t size, void *mem, paddr_t mem_pa);

/* Publishes one chain of n buffers (does not notify the device).
 * 0 and *head, -AX_ENOSPC if not enough free descriptors, -AX_EINVAL for an
 * empty chain, a zero-length buffer or a readable buffer after a writable one. */
int virtq_add(struct virtq *vq, const struct virtq_buf *bufs, unsigned n, uint16_t *head);

/* Consumes the next used element: 1 with *head and *len (bytes the device
 * says it wrote), 0 if there is none yet, -AX_EIO for an impossible answer
 * (the used index ran ahead of what was published, an id that is not a chain
 * in flight, a length beyond the chain's writable bytes). After -AX_EIO the
 * queue state is unchanged and the queue must not be used again. */
int virtq_get_used(struct virtq *vq, uint16_t *head, uint32_t *len);

/* ---- register access ---- */

struct virtio_io {
    uint32_t (*read)(void *ctx, uintptr_t addr, unsigned width); /* width 1, 2 or 4 */
    void (*write)(void *ctx, uintptr_t addr, unsigned width, uint32_t val);
    void *ctx;
};

/* Volatile accesses at the address itself (identity-mapped windows). */
extern const struct virtio_io virtio_io_direct;

/* ---- transports ---- */

struct virtio_dev;

struct virtio_ops {
    uint8_t (*get_status)(struct virtio_dev *d);
    void (*set_status)(struct virtio_dev *d, uint8_t status); /* 0 resets the device */
    uint64_t (*get_features)(struct virtio_dev *d);
    void (*set_features)(struct virtio_dev *d, uint64_t features);
    /* Device-specific configuration, read consistently (generation
     * counter); -AX_ERANGE outside the window, -AX_EIO if it never settles. */
    int (*read_config)(struct virtio_dev *d, uint32_t off, void *buf, uint32_t len);
    /* Largest size queue q accepts; 0 if it does not exist or is in use. */
    uint16_t (*queue_max)(struct virtio_dev *d, uint16_t q);
    int (*queue_enable)(struct virtio_dev *d, uint16_t q, uint16_t size, paddr_t desc, paddr_t avail,
                        paddr_t used);
    void (*notify)(struct virtio_dev *d, uint16_t q);
};

struct virtio_dev {
    const struct virtio_ops *ops;
    const struct virtio_io *io;
    uint32_t device_id; /* 0: an empty virtio-mmio slot */
    char name[48];      /* "virtio-mmio@0xa003e00", "virtio-pci 00:03.0" */
    /* virtio-mmio */
    uintptr_t base;
    /* virtio-pci: the windows the capabilities point at, mapped */
    uintptr_t common, isr, device, notify;
    uint32_t device_len, notify_len, notify_mult;
    uintptr_t queue_notify; /* set by queue_enable */
};

/* virtio-mmio register offsets (version 2). */
#define VIRTIO_MMIO_MAGIC 0x000
#define VIRTIO_MMIO_VERSION 0x004
#define VIRTIO_MMIO_DEVICE_ID 0x008
#define VIRTIO_MMIO_VENDOR_ID 0x00c
#define VIRTIO_MMIO_DEVICE_FEATURES 0x010
#define VIRTIO_MMIO_DEVICE_FEATURES_SEL 0x014
#define VIRTIO_MMIO_DRIVER_FEATURES 0x020
#define VIRTIO_MMIO_DRIVER_FEATURES_SEL 0x024
#define VIRTIO_MMIO_QUEUE_SEL 0x030
#define VIRTIO_MMIO_QUEUE_NUM_MAX 0x034
#define VIRTIO_MMIO_QUEUE_NUM 0x038
#define VIRTIO_MMIO_QUEUE_READY 0x044
#define VIRTIO_MMIO_QUEUE_NOTIFY 0x050
#define VIRTIO_MMIO_INTERRUPT_STATUS 0x060
#define VIRTIO_MMIO_INTERRUPT_ACK 0x064
#define VIRTIO_MMIO_STATUS 0x070
#define VIRTIO_MMIO_QUEUE_DESC_LOW 0x080
#define VIRTIO_MMIO_QUEUE_DESC_HIGH 0x084
#define VIRTIO_MMIO_QUEUE_DRIVER_LOW 0x090
#define VIRTIO_MMIO_QUEUE_DRIVER_HIGH 0x094
#define VIRTIO_MMIO_QUEUE_DEVICE_LOW 0x0a0
#define VIRTIO_MMIO_QUEUE_DEVICE_HIGH 0x0a4
#define VIRTIO_MMIO_CONFIG_GENERATION 0x0fc
#define VIRTIO_MMIO_CONFIG 0x100
#define VIRTIO_MMIO_MAGIC_VALUE 0x74726976u /* "virt" */
#define VIRTIO_MMIO_MIN_SIZE 0x100

/* Identifies the virtio-mmio window at base (size bytes, mapped): magic
 * "virt", version 2. 0 with *d set up (d->device_id 0: an empty slot, any version),
 * -AX_EINVAL for no virtio-mmio device (bad magic, window too small),
 * -AX_ENOSYS for the legacy interface (version 1) or an unknown version;
 * err says which. io NULL means virtio_io_direct. */
int virtio_mmio_probe(struct virtio_dev *d, paddr_t base, uint64_t size, const struct virtio_io *io,
                      char *err, size_t errlen);

/* PCI configuration space of one function, and a way to make BAR memory
 * accessible (map may be NULL when it already is). */
struct pci_cfg {
    uint32_t (*read32)(void *ctx, uint16_t off); /* off 4-byte aligned, < 256 */
    void (*write32)(void *ctx, uint16_t off, uint32_t val);
    int (*map)(void *ctx, paddr_t pa, uint64_t size);
    void *ctx;
};

#define VIRTIO_PCI_VENDOR 0x1af4
#define VIRTIO_PCI_DEVICE_MODERN_BASE 0x1040 /* + device id */
#define VIRTIO_PCI_DEVICE_TRANSITIONAL_BLK 0x1001

/* The virtio device id of a PCI function from its vendor / device /
 * subsystem ids, or 0 if it is not a virtio device. */
uint32_t virtio_pci_device_id(uint16_t vendor, uint16_t device, uint16_t subsys_device);

/* Sets up the modern (virtio 1.x) interface of a PCI function whose ids
 * virtio_pci_device_id() accepted: walks the capability list (bounded, loop
 * safe), finds the common, notify, ISR and device windows, checks they lie
 * inside assigned memory BARs, maps them, enables memory decoding and bus
 * mastering. 0, or -AX_ENOSYS (no modern capabilities: a legacy-only
 * device), -AX_EINVAL (malformed capabilities or BARs), with err set. */
int virtio_pci_probe(struct virtio_dev *d, uint32_t device_id, const struct pci_cfg *cfg,
                     const struct virtio_io *io, const char *name, char *err, size_t errlen);

/* ---- virtio-blk ---- */

#define VIRTIO_BLK_F_RO 5
#define VIRTIO_BLK_F_BLK_SIZE 6
#define VIRTIO_BLK_F_FLUSH 9

#define VIRTIO_BLK_T_IN 0
#define VIRTIO_BLK_T_OUT 1
#define VIRTIO_BLK_T_FLUSH 4

#define VIRTIO_BLK_S_OK 0
#define VIRTIO_BLK_S_IOERR 1
#define VIRTIO_BLK_S_UNSUPP 2

#define VIRTIO_BLK_SECTOR 512
/* Largest data buffer of one request; longer transfers are split. */
#define VIRTIO_BLK_MAX_XFER (256u * 1024u)
#define VIRTIO_BLK_DEFAULT_TIMEOUT_NS 5000000000ULL
#define VIRTIO_BLK_DEFAULT_POLLS 100000000ULL

struct virtio_blk_req {
    uint32_t type;
    uint32_t reserved;
    uint64_t sector;
};

/* How to wait for the device. */
struct virtio_env {
    uint64_t (*now_ns)(void); /* NULL: the timeout counts polls instead */
    void (*relax)(void);      /* between polls; may be NULL */
    uint64_t timeout_ns;      /* per request; 0: VIRTIO_BLK_DEFAULT_TIMEOUT_NS */
    uint64_t max_polls;       /* without now_ns; 0: VIRTIO_BLK_DEFAULT_POLLS */
};

struct virtio_blk {
    struct blockdev bd; /* sector_size 512; write NULL when read-only */
    struct virtio_dev *dev;
    struct virtio_env env;
    struct virtq vq;
    paddr_t mem_pa;     /* the queue and the request header/status page */
    size_t mem_pages;
    volatile struct virtio_blk_req *hdr;
    volatile uint8_t *status;
    uint64_t capacity;  /* 512-byte sectors */
    bool read_only, has_flush;
    bool broken;        /* an impossible answer or a timeout: no more I/O */
    uint64_t requests, errors;
};

/* Resets the device and negotiates (ACKNOWLEDGE, DRIVER, features with
 * VIRTIO_F_VERSION_1, FEATURES_OK read back, queue 0, DRIVER_OK), reads the
 * capacity and fills b->bd. Memory for the queue comes from the frame
 * allocator. 0, or a negative AX_E* with err saying what the device did
 * wrong (FAILED is set, then the device is reset). env may be NULL. */
int virtio_blk_init(struct virtio_blk *b, struct virtio_dev *dev, const struct virtio_env *env,
                    char *err, size_t errlen);

/* Resets the device and returns the queue memory. */
void virtio_blk_release(struct virtio_blk *b);

/* Sector I/O (also reachable as b->bd.read / b->bd.write). 0 or negative:
 * -AX_EIO (range, device error status, broken device), -AX_ETIMEDOUT,
 * -AX_ENOSYS (write to a read-only disk). */
int virtio_blk_read(struct virtio_blk *b, uint64_t sector, uint32_t count, void *buf);
int virtio_blk_write(struct virtio_blk *b, uint64_t sector, uint32_t count, const void *buf);

#endif
