/* The interface every execution-benchmark workload implements.
 *
 * A workload is freestanding C compiled once (no libc, no SSE/x87) and linked twice: as a
 * keel guest (guest_start.S + guest_main.c) and as a static Linux executable
 * (native_main.c), so keel, QEMU and the host all execute the same machine code. */
#ifndef KEEL_BENCH_WORKLOAD_H
#define KEEL_BENCH_WORKLOAD_H

typedef unsigned long long u64;
typedef unsigned int u32;
typedef unsigned char u8;

/* Runs the workload and returns a checksum of everything it computed; the same value on
 * every run and on every executor. */
u64 workload_run(void);

/* xorshift64 (Marsaglia 2003): cheap, deterministic data for every workload. */
static inline u64 xorshift64(u64 *state)
{
    u64 x = *state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    *state = x;
    return x;
}

/* A value in [0, bound) without a division (Lemire's multiply-shift reduction). */
static inline u32 below(u64 *state, u32 bound)
{
    return (u32)(((xorshift64(state) >> 32) * (u64)bound) >> 32);
}

#endif
