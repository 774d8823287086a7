/* Sub-word atomics. GCC 12 does not inline 1- and 2-byte atomic
 * read-modify-write operations on RISC-V and calls these libatomic entry
 * points instead (common code exchanges bool flags). Each works on the
 * aligned 32-bit word holding the byte with an LR/SC loop; the memory
 * model argument is ignored: every one is sequentially consistent. */

/* uint8_t __atomic_exchange_1(volatile void *p, uint8_t val, int model) */
    .section .text
    .globl  __atomic_exchange_1
__atomic_exchange_1:
    andi    t0, a0, 3
    slli    t0, t0, 3               /* bit offset of the byte */
    andi    a0, a0, -4              /* its word */
    li      t1, 0xff
    sll     t1, t1, t0              /* mask */
    not     t3, t1
    andi    a1, a1, 0xff
    sll     a1, a1, t0
1:  lr.w.aqrl t2, (a0)
    and     t4, t2, t3
    or      t4, t4, a1
    sc.w.rl t5, t4, (a0)
    bnez    t5, 1b
    srl     a0, t2, t0
    andi    a0, a0, 0xff
    ret

/* bool __atomic_compare_exchange_1(volatile void *p, uint8_t *expected,
 *                                  uint8_t desired, bool weak, int s, int f) */
    .globl  __atomic_compare_exchange_1
__atomic_compare_exchange_1:
    andi    t0, a0, 3
    slli    t0, t0, 3
    andi    a0, a0, -4
    li      t1, 0xff
    sll     t1, t1, t0
    not     t3, t1
    lbu     a6, 0(a1)               /* expected */
    sll     a6, a6, t0
    andi    a2, a2, 0xff
    sll     a2, a2, t0
1:  lr.w.aqrl t2, (a0)
    and     t4, t2, t1
    bne     t4, a6, 2f
    and     t4, t2, t3
    or      t4, t4, a2
    sc.w.rl t5, t4, (a0)
    bnez    t5, 1b
    li      a0, 1
    ret
2:  srl     t4, t4, t0
    sb      t4, 0(a1)
    li      a0, 0
    ret
