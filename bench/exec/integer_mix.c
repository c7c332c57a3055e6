/* integer_mix: scalar integer arithmetic with no memory traffic to speak of.
 *
 * Exercises what a translator spends most of its time on in ordinary code: ALU ops and
 * their flags, variable shifts and rotates, 64x64->128 multiplies, signed and unsigned
 * divides of both widths, and a bitwise CRC whose branches-free masks depend on data. */
#include "workload.h"

#define ROUNDS 20000000u /* about 0.3 s natively */

static inline u64 rotl64(u64 x, unsigned r)
{
    r &= 63;
    return (x << r) | (x >> ((64 - r) & 63));
}

/* Bitwise CRC-32 (reflected polynomial 0xEDB88320) of one byte: the mask -(crc & 1)
 * makes every step depend on the previous one. */
static inline u32 crc32_byte(u32 crc, u8 byte)
{
    crc ^= byte;
    for (int k = 0; k < 8; k++)
        crc = (crc >> 1) ^ (0xEDB88320u & -(crc & 1u));
    return crc;
}

u64 workload_run(void)
{
    u64 state = 0x243F6A8885A308D3ull; /* pi's fractional bits: any non-zero seed works */
    u64 acc = 0;
    u64 carries = 0;
    u32 crc = 0xFFFFFFFFu;
    u32 narrow = 12345;

    for (u32 i = 0; i < ROUNDS; i++) {
        u64 s = xorshift64(&state);

        /* Multiply, high half of a 128-bit product, rotate by a data-dependent count. */
        u64 m = s * 0x9E3779B97F4A7C15ull;
        u64 hi = (u64)(((unsigned __int128)s * acc) >> 64);
        acc += rotl64(m ^ hi, (unsigned)(s >> 58));

        /* Add with carry out, detected the portable way. */
        u64 before = acc;
        acc += s;
        carries += acc < before;

        /* 64-bit unsigned and signed divides; divisors are never 0 (or -1 with INT64_MIN). */
        acc ^= m / ((s >> 40) | 1);
        long long sd = (long long)acc / (long long)((s & 0xFFFF) + 3);
        acc += (u64)(sd % 1000003);

        /* 32-bit arithmetic, whose results are zero-extended into 64-bit registers. */
        narrow = narrow * 1664525u + 1013904223u;
        narrow ^= narrow >> ((u32)s & 15);
        acc += narrow / (((u32)(s >> 20) & 0xFFF) | 1);

        crc = crc32_byte(crc, (u8)acc);
    }
    return acc ^ ((u64)crc << 32) ^ carries;
}
