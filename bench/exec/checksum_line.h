/* The one line every workload build prints, formatted by the same code in the guest and
 * the native build so the driver can compare the bytes. */
#ifndef KEEL_BENCH_CHECKSUM_LINE_H
#define KEEL_BENCH_CHECKSUM_LINE_H

#include "workload.h"

enum { CHECKSUM_LINE_LEN = 9 + 16 + 1 }; /* "checksum=" + 16 hex digits + '\n' */

static inline void format_checksum_line(char out[CHECKSUM_LINE_LEN], u64 value)
{
    static const char prefix[] = "checksum=";
    static const char digits[] = "0123456789abcdef";
    for (int i = 0; i < 9; i++)
        out[i] = prefix[i];
    for (int i = 0; i < 16; i++)
        out[9 + i] = digits[(value >> (60 - 4 * i)) & 0xf];
    out[25] = '\n';
}

#endif
