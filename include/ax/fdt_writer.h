/* Flattened device tree (DTB) writer.
 *
 * Builds a version 17 blob (last compatible version 16) in one pass into a
 * caller buffer: no allocation, every store bytewise (any buffer alignment).
 *
 * Call order: fdt_w_init, any fdt_w_reserve, then the tree as nested
 * fdt_w_begin_node / properties / fdt_w_end_node starting with the root
 * (name ""), then fdt_w_finish. Within a node, properties come before child
 * nodes (parsers look for them there). Property names go to a deduplicated
 * strings block.
 *
 * Errors are sticky: the first failure is recorded and every later call
 * returns it without writing, so a sequence of calls can be checked once at
 * fdt_w_finish. Nothing is ever written outside [buf, buf + size).
 *   -AX_ENOSPC  the buffer is full
 *   -AX_EINVAL  misuse: bad name, end without begin, property outside a node
 *               or after a child node, finish with open nodes, call after
 *               finish, NULL pointers
 *   -AX_EEXIST  a property name repeated within one node
 *   -AX_ERANGE  nesting deeper than FDT_MAX_DEPTH, or a /memreserve/ range
 *               that wraps around the address space
 */
#ifndef AX_FDT_WRITER_H
#define AX_FDT_WRITER_H

#include "ax/types.h"

#define FDT_W_MAX_NAME 255 /* node and property names, bytes without NUL */

/* Writer state: fill with fdt_w_init(); treat the fields as private. */
struct fdt_writer {
    uint8_t *buf;
    uint32_t size;        /* usable bytes (the buffer, capped for u32/int offsets) */
    uint32_t nrsv;        /* /memreserve/ entries written */
    uint32_t struct_off;  /* start of the structure block, 0 before the root */
    uint32_t off;         /* next free byte of the structure block */
    uint32_t str_lo;      /* strings grow down from size; lowest used byte */
    uint32_t props_off;   /* first property of the open node */
    uint32_t depth;       /* open nodes */
    bool props_open;      /* the open node has had no child yet */
    bool root_done;       /* the root node was closed */
    bool finished;
    int err;              /* sticky first error, 0 if none */
};

/* Starts a blob in buf[0..size). Fails with -AX_ENOSPC if size cannot hold
 * even an empty tree; the error is also kept in *w. */
int fdt_w_init(struct fdt_writer *w, void *buf, size_t size);

/* Adds a /memreserve/ entry; only before the root node. size must be > 0. */
int fdt_w_reserve(struct fdt_writer *w, uint64_t addr, uint64_t size);

/* Opens a node. The first is the root and must be named ""; every other
 * name is 1..FDT_W_MAX_NAME printable ASCII characters without '/' or space. */
int fdt_w_begin_node(struct fdt_writer *w, const char *name);
int fdt_w_end_node(struct fdt_writer *w);

/* A property of the open node: len bytes from data (data may be NULL only
 * when len is 0). Names follow the node name rules. */
int fdt_w_prop(struct fdt_writer *w, const char *name, const void *data, size_t len);
int fdt_w_prop_empty(struct fdt_writer *w, const char *name);
int fdt_w_prop_u32(struct fdt_writer *w, const char *name, uint32_t v);
int fdt_w_prop_u64(struct fdt_writer *w, const char *name, uint64_t v); /* 2 cells */
int fdt_w_prop_cells(struct fdt_writer *w, const char *name, const uint32_t *cells,
                     size_t n);
int fdt_w_prop_string(struct fdt_writer *w, const char *name, const char *s);
/* "a\0b\0..." from n strings (n may be 0: an empty property). */
int fdt_w_prop_stringlist(struct fdt_writer *w, const char *name,
                          const char *const *list, size_t n);

/* Closes the blob: writes the end token, moves the strings block after the
 * structure block and fills the header. *total_size (may be NULL) gets the
 * blob's length, which is also its header totalsize. The writer accepts no
 * further calls. */
int fdt_w_finish(struct fdt_writer *w, size_t *total_size);

#endif
