/* Human-readable names for the AX_E* error codes in ax/types.h. */
#include "ax/types.h"

static const char *const strerror_table[] = {
    [AX_OK] = "success",
    [AX_EINVAL] = "invalid argument",
    [AX_ENOMEM] = "out of memory",
    [AX_ENOENT] = "not found",
    [AX_ERANGE] = "out of range",
    [AX_EEXIST] = "already exists",
    [AX_EBUSY] = "busy",
    [AX_ENOSYS] = "not implemented",
    [AX_EFAULT] = "bad address",
    [AX_EIO] = "I/O error",
    [AX_ENOSPC] = "no space left",
    [AX_ETIMEDOUT] = "timed out",
};

const char *ax_strerror(int err)
{
    /* Functions return -AX_Exxx but callers also pass the positive code;
     * negate in unsigned arithmetic so INT_MIN cannot overflow. */
    unsigned int code = err < 0 ? 0u - (unsigned int)err : (unsigned int)err;

    if (code < ARRAY_SIZE(strerror_table) && strerror_table[code] != NULL)
        return strerror_table[code];
    return "unknown error";
}
