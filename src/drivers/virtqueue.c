/* Split virtqueue (virtio 1.x, section 2.7) for a driver that polls.
 *
 * The descriptor table and both rings live in memory the device can write,
 * so nothing the driver relies on is read back from there: the free list,
 * chain links and per-chain lengths are kept in struct virtq. The only
 * values taken from the device are the used index and the used elements,
 * and each is checked against that private state before it is believed. */
#include "ax/string.h"
#include "ax/virtio.h"

static size_t desc_bytes(uint16_t n) { return (size_t)n * sizeof(struct vring_desc); }
static size_t avail_bytes(uint16_t n) { return 4 + 2 * (size_t)n + 2; }
static size_t used_offset(uint16_t n) { return ALIGN_UP(desc_bytes(n) + avail_bytes(n), (size_t)4); }
static size_t used_bytes(uint16_t n) { return 4 + 8 * (size_t)n + 2; }

static bool size_ok(uint16_t n)
{
    return n >= 1 && n <= VIRTQ_MAX_SIZE && (n & (n - 1)) == 0;
}

size_t virtq_mem_size(uint16_t size)
{
    if (!size_ok(size))
        return 0;
    return used_offset(size) + used_bytes(size);
}

int virtq_init(struct virtq *vq, uint16_t size, void *mem, paddr_t mem_pa)
{
    if (!size_ok(size) || !mem)
        return -AX_EINVAL;
    memset(vq, 0, sizeof(*vq));
    memset(mem, 0, virtq_mem_size(size));
    uint8_t *m = mem;
    vq->size = size;
    vq->desc = (volatile struct vring_desc *)m;
    vq->avail = (volatile struct vring_avail *)(m + desc_bytes(size));
    vq->used = (volatile struct vring_used *)(m + used_offset(size));
    vq->desc_pa = mem_pa;
    vq->avail_pa = mem_pa + desc_bytes(size);
    vq->used_pa = mem_pa + used_offset(size);
    for (uint16_t i = 0; i < size; i++)
        vq->next[i] = (uint16_t)(i + 1);
    vq->free_head = 0;
    vq->num_free = size;
    /* completion is polled: ask the device not to interrupt */
    vq->avail->flags = VRING_AVAIL_F_NO_INTERRUPT;
    return 0;
}

static int check_chain(const struct virtq_buf *bufs, unsigned n, uint32_t *wlen)
{
    bool writable = false;
    uint64_t w = 0;
    if (n == 0)
        return -AX_EINVAL;
    for (unsigned i = 0; i < n; i++) {
        if (bufs[i].len == 0)
            return -AX_EINVAL;
        if (bufs[i].device_writes) {
            writable = true;
            w += bufs[i].len;
        } else if (writable) {
            return -AX_EINVAL;
        }
    }
    if (w > UINT32_MAX)
        return -AX_EINVAL;
    *wlen = (uint32_t)w;
    return 0;
}

int virtq_add(struct virtq *vq, const struct virtq_buf *bufs, unsigned n, uint16_t *head)
{
    uint32_t wlen;
    int rc = check_chain(bufs, n, &wlen);
    if (rc)
        return rc;
    if (n > vq->num_free)
        return -AX_ENOSPC;
    uint16_t first = vq->free_head, d = first;
    for (unsigned i = 0; i < n; i++) {
        uint16_t nx = vq->next[d];
        bool last = i + 1 == n;
        vq->desc[d].addr = bufs[i].addr;
        vq->desc[d].len = bufs[i].len;
        vq->desc[d].flags = (uint16_t)((last ? 0 : VRING_DESC_F_NEXT) |
                                       (bufs[i].device_writes ? VRING_DESC_F_WRITE : 0));
        vq->desc[d].next = last ? 0 : nx;
        if (last)
            vq->free_head = nx;
        else
            d = nx;
    }
    vq->num_free = (uint16_t)(vq->num_free - n);
    vq->chain_len[first] = (uint8_t)n;
    vq->chain_wlen[first] = wlen;
    vq->avail->ring[vq->avail_idx & (vq->size - 1)] = first;
    /* the device may look at the ring entry as soon as it sees the index */
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    vq->avail_idx++;
    vq->avail->idx = vq->avail_idx;
    vq->in_flight++;
    *head = first;
    return 0;
}

int virtq_get_used(struct virtq *vq, uint16_t *head, uint32_t *len)
{
    uint16_t idx = vq->used->idx;
    uint16_t pending = (uint16_t)(idx - vq->last_used);
    if (pending == 0)
        return 0;
    if (pending > vq->in_flight)
        return -AX_EIO;
    /* read the element only after the index that covers it */
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    uint32_t id = vq->used->ring[vq->last_used & (vq->size - 1)].id;
    uint32_t written = vq->used->ring[vq->last_used & (vq->size - 1)].len;
    if (id >= vq->size || vq->chain_len[id] == 0)
        return -AX_EIO;
    if (written > vq->chain_wlen[id])
        return -AX_EIO;
    /* give the chain's descriptors back, following the private links */
    uint16_t last = (uint16_t)id;
    for (unsigned i = 1; i < vq->chain_len[id]; i++)
        last = vq->next[last];
    vq->next[last] = vq->free_head;
    vq->free_head = (uint16_t)id;
    vq->num_free = (uint16_t)(vq->num_free + vq->chain_len[id]);
    vq->chain_len[id] = 0;
    vq->chain_wlen[id] = 0;
    vq->in_flight--;
    vq->last_used++;
    *head = (uint16_t)id;
    *len = written;
    return 1;
}
