/* Basic types shared by target and host builds. Freestanding-safe. */
#ifndef AX_TYPES_H
#define AX_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef uint64_t paddr_t; /* physical / guest-physical address */
typedef uint64_t vaddr_t; /* hypervisor virtual address */

#define AX_MAX_CPUS 8

#define KiB(x) ((uint64_t)(x) << 10)
#define MiB(x) ((uint64_t)(x) << 20)
#define GiB(x) ((uint64_t)(x) << 30)

#define PAGE_SHIFT 12
#define PAGE_SIZE (1UL << PAGE_SHIFT)

#define ALIGN_UP(x, a) (((x) + ((a) - 1)) & ~((__typeof__(x))(a) - 1))
#define ALIGN_DOWN(x, a) ((x) & ~((__typeof__(x))(a) - 1))
#define IS_ALIGNED(x, a) (((x) & ((__typeof__(x))(a) - 1)) == 0)
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define MAX(a, b) ((a) > (b) ? (a) : (b))

#define container_of(ptr, type, member) \
    ((type *)((char *)(ptr) - offsetof(type, member)))

#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)
#define UNUSED __attribute__((unused))
#define NORETURN __attribute__((noreturn))
#define PRINTF_LIKE(f, a) __attribute__((format(printf, f, a)))

/* Error codes: functions return 0 or a negative AX_E* value. */
enum {
    AX_OK = 0,
    AX_EINVAL = 1,   /* bad argument or malformed input */
    AX_ENOMEM = 2,   /* out of memory */
    AX_ENOENT = 3,   /* not found */
    AX_ERANGE = 4,   /* out of range */
    AX_EEXIST = 5,   /* already exists / overlaps */
    AX_EBUSY = 6,
    AX_ENOSYS = 7,   /* not implemented */
    AX_EFAULT = 8,   /* bad address */
    AX_EIO = 9,
    AX_ENOSPC = 10,
    AX_ETIMEDOUT = 11,
};

const char *ax_strerror(int err); /* accepts negative or positive codes */

#endif
