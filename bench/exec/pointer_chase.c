/* pointer_chase: following a linked list through 64 MiB in random order.
 *
 * Every step is a load whose address is the previous load's value: nothing overlaps, so
 * each step costs the full latency of a cache miss, a host TLB miss and, under a
 * translator, a soft-TLB miss and page walk (64 MiB is 16384 pages, four times what
 * keel's soft TLB covers). The list is one cycle through all the slots (Sattolo's
 * shuffle), so the walk visits every slot before it repeats. */
#include "workload.h"

#define SLOTS (8u * 1024u * 1024u) /* u64 next indices: 64 MiB */
#define STEPS (4u * 1024u * 1024u)

static u64 next[SLOTS];

u64 workload_run(void)
{
    for (u32 i = 0; i < SLOTS; i++)
        next[i] = i;
    /* Sattolo's algorithm: a uniformly random single cycle. */
    u64 state = 0xA4093822299F31D0ull;
    for (u32 i = SLOTS - 1; i > 0; i--) {
        u32 j = below(&state, i); /* j < i, never i itself */
        u64 t = next[i];
        next[i] = next[j];
        next[j] = t;
    }
    u64 at = 0, sum = 0;
    for (u32 step = 0; step < STEPS; step++) {
        at = next[at];
        sum += at ^ step;
    }
    return sum * 31 + at;
}
