/* Freestanding memory and string functions for the target build.
 *
 * The host build uses libc (see ax/string.h), so everything here is compiled
 * only for the target, or for the host unit test that includes this file with
 * AX_TARGET_STRING_TEST and renamed symbols.
 *
 * Two constraints shape the code:
 *  - GCC (and clang) recognise byte/word loops as memcpy/memset idioms and
 *    replace them with calls to memcpy/memset, which here would recurse
 *    forever. STR_NO_LIBCALL switches that off per function.
 *  - Word accesses are made only when every pointer involved is aligned:
 *    with the MMU off (early boot) aarch64 treats all memory as Device memory,
 *    where an unaligned access faults, and riscv may trap to firmware on
 *    misaligned accesses. Word accesses go through a may_alias type so they
 *    are valid for any object type.
 */
#include "ax/string.h"

#include <stdint.h>

#if !defined(AX_HOST) || defined(AX_TARGET_STRING_TEST)

#if defined(__clang__)
#define STR_NO_LIBCALL __attribute__((no_builtin))
#else
#define STR_NO_LIBCALL __attribute__((optimize("no-tree-loop-distribute-patterns")))
#endif

typedef unsigned long __attribute__((may_alias)) str_word_t;

#define WORD_SIZE sizeof(str_word_t)
#define WORD_MASK (WORD_SIZE - 1)
/* 0x0101...01: multiplying a byte by it replicates the byte into every lane. */
#define WORD_ONES (~0UL / 0xffUL)

static inline int str_both_aligned(uintptr_t a, uintptr_t b)
{
    return ((a | b) & WORD_MASK) == 0;
}

/* Forward copy; safe for overlapping buffers when dst < src. */
STR_NO_LIBCALL
static void str_copy_fwd(unsigned char *d, const unsigned char *s, size_t n)
{
    if (((uintptr_t)d & WORD_MASK) == ((uintptr_t)s & WORD_MASK)) {
        while (n > 0 && ((uintptr_t)d & WORD_MASK) != 0) {
            *d++ = *s++;
            n--;
        }
        str_word_t *dw = (str_word_t *)(void *)d;
        const str_word_t *sw = (const str_word_t *)(const void *)s;
        while (n >= 4 * WORD_SIZE) {
            /* Load all four before storing so an overlapping memmove stays
             * correct (dst < src by at least one word here). */
            str_word_t w0 = sw[0], w1 = sw[1], w2 = sw[2], w3 = sw[3];
            dw[0] = w0;
            dw[1] = w1;
            dw[2] = w2;
            dw[3] = w3;
            dw += 4;
            sw += 4;
            n -= 4 * WORD_SIZE;
        }
        while (n >= WORD_SIZE) {
            *dw++ = *sw++;
            n -= WORD_SIZE;
        }
        d = (unsigned char *)dw;
        s = (const unsigned char *)sw;
    }
    while (n > 0) {
        *d++ = *s++;
        n--;
    }
}

/* Backward copy for overlapping buffers with dst > src. */
STR_NO_LIBCALL
static void str_copy_bwd(unsigned char *d, const unsigned char *s, size_t n)
{
    d += n;
    s += n;
    if (((uintptr_t)d & WORD_MASK) == ((uintptr_t)s & WORD_MASK)) {
        while (n > 0 && ((uintptr_t)d & WORD_MASK) != 0) {
            *--d = *--s;
            n--;
        }
        str_word_t *dw = (str_word_t *)(void *)d;
        const str_word_t *sw = (const str_word_t *)(const void *)s;
        while (n >= WORD_SIZE) {
            *--dw = *--sw;
            n -= WORD_SIZE;
        }
        d = (unsigned char *)dw;
        s = (const unsigned char *)sw;
    }
    while (n > 0) {
        *--d = *--s;
        n--;
    }
}

STR_NO_LIBCALL
void *memcpy(void *dst, const void *src, size_t n)
{
    str_copy_fwd(dst, src, n);
    return dst;
}

STR_NO_LIBCALL
void *memmove(void *dst, const void *src, size_t n)
{
    uintptr_t d = (uintptr_t)dst, s = (uintptr_t)src;

    /* Copying forward is safe unless dst starts inside [src, src + n). */
    if (d - s >= n)
        str_copy_fwd(dst, src, n);
    else
        str_copy_bwd(dst, src, n);
    return dst;
}

STR_NO_LIBCALL
void *memset(void *dst, int c, size_t n)
{
    unsigned char *d = dst;
    unsigned char b = (unsigned char)c;

    while (n > 0 && ((uintptr_t)d & WORD_MASK) != 0) {
        *d++ = b;
        n--;
    }
    str_word_t w = WORD_ONES * b;
    str_word_t *dw = (str_word_t *)(void *)d;
    while (n >= 4 * WORD_SIZE) {
        dw[0] = w;
        dw[1] = w;
        dw[2] = w;
        dw[3] = w;
        dw += 4;
        n -= 4 * WORD_SIZE;
    }
    while (n >= WORD_SIZE) {
        *dw++ = w;
        n -= WORD_SIZE;
    }
    d = (unsigned char *)dw;
    while (n > 0) {
        *d++ = b;
        n--;
    }
    return dst;
}

STR_NO_LIBCALL
int memcmp(const void *a, const void *b, size_t n)
{
    const unsigned char *pa = a, *pb = b;

    /* Skip equal words quickly; the byte loop below finds the first
     * differing byte, which decides the sign. */
    if (str_both_aligned((uintptr_t)pa, (uintptr_t)pb)) {
        while (n >= WORD_SIZE &&
               *(const str_word_t *)(const void *)pa ==
                   *(const str_word_t *)(const void *)pb) {
            pa += WORD_SIZE;
            pb += WORD_SIZE;
            n -= WORD_SIZE;
        }
    }
    for (; n > 0; n--, pa++, pb++) {
        if (*pa != *pb)
            return (int)*pa - (int)*pb;
    }
    return 0;
}

STR_NO_LIBCALL
void *memchr(const void *s, int c, size_t n)
{
    const unsigned char *p = s;
    unsigned char b = (unsigned char)c;

    for (; n > 0; n--, p++) {
        if (*p == b)
            return (void *)(uintptr_t)p;
    }
    return NULL;
}

/* The string functions read byte by byte on purpose: a word read could run
 * past the terminator into an unmapped page or a neighbouring MMIO region. */

STR_NO_LIBCALL
size_t strlen(const char *s)
{
    const char *p = s;

    while (*p != '\0')
        p++;
    return (size_t)(p - s);
}

STR_NO_LIBCALL
size_t strnlen(const char *s, size_t max)
{
    size_t n = 0;

    while (n < max && s[n] != '\0')
        n++;
    return n;
}

STR_NO_LIBCALL
int strcmp(const char *a, const char *b)
{
    const unsigned char *pa = (const unsigned char *)a;
    const unsigned char *pb = (const unsigned char *)b;

    while (*pa != '\0' && *pa == *pb) {
        pa++;
        pb++;
    }
    return (int)*pa - (int)*pb;
}

STR_NO_LIBCALL
int strncmp(const char *a, const char *b, size_t n)
{
    const unsigned char *pa = (const unsigned char *)a;
    const unsigned char *pb = (const unsigned char *)b;

    for (; n > 0; n--, pa++, pb++) {
        if (*pa != *pb)
            return (int)*pa - (int)*pb;
        if (*pa == '\0')
            break;
    }
    return 0;
}

STR_NO_LIBCALL
char *strchr(const char *s, int c)
{
    char ch = (char)c;

    /* The terminator itself is part of the string: strchr(s, 0) finds it. */
    for (;; s++) {
        if (*s == ch)
            return (char *)(uintptr_t)s;
        if (*s == '\0')
            return NULL;
    }
}

STR_NO_LIBCALL
char *strrchr(const char *s, int c)
{
    char ch = (char)c;
    const char *last = NULL;

    for (;; s++) {
        if (*s == ch)
            last = s;
        if (*s == '\0')
            return (char *)(uintptr_t)last;
    }
}

#endif /* !AX_HOST || AX_TARGET_STRING_TEST */

/* ISO C wants at least one declaration per translation unit, and on the host
 * everything above is compiled out. */
typedef int ax_string_c_nonempty;
