/* memory_heavy: loads and stores over buffers larger than the L2 cache.
 *
 * A translator pays for every guest memory access (address translation, possibly a
 * software TLB lookup), so this workload is almost nothing else: sequential streams,
 * strided read-modify-write that touches a new page on nearly every access, and a
 * pointer chase through a shuffled linked list where each load depends on the last.
 * The buffers are static (.bss): 13 MiB, beyond the L2 caches but inside this machine's
 * L3. A footprint close to the L3 size made the native times bimodal (55 or 150 ms for
 * the chase, run to run), noise that would swamp what this measures: the translator's
 * cost per access. */
#include "workload.h"

#define WORDS (512u * 1024u)  /* 4 MiB of u64 per stream buffer */
#define NODES (256u * 1024u)  /* 4 MiB of list nodes */
#define STREAM_PASSES 96u
#define STRIDED_TOUCHES (20u * 1024u * 1024u)
#define CHASE_STEPS (8u * 1024u * 1024u)

struct node {
    struct node *next;
    u64 value;
};

static u64 src[WORDS];
static u64 dst[WORDS];
static struct node nodes[NODES];
static u32 order[NODES];

static u64 stream(u64 *state)
{
    for (u32 i = 0; i < WORDS; i++)
        src[i] = xorshift64(state);

    u64 sum = 0;
    for (u32 pass = 0; pass < STREAM_PASSES; pass++) {
        for (u32 i = 0; i < WORDS; i++) {
            u64 v = src[i] * 3 + pass;
            dst[i] = v;
            sum += v;
        }
        /* Read back the other way so the hardware prefetcher sees both directions. */
        for (u32 i = WORDS; i-- > 0;)
            sum ^= dst[i] + (sum << 1);
    }
    return sum;
}

/* Strides in u64 units: one cache line plus a word, one page plus a word, and a larger
 * odd one; with a power-of-two buffer an odd stride eventually visits every word. */
static u64 strided(void)
{
    static const u32 strides[] = {9, 513, 4099};
    u64 sum = 0;
    for (u32 s = 0; s < sizeof strides / sizeof strides[0]; s++) {
        u32 at = 0;
        for (u32 j = 0; j < STRIDED_TOUCHES; j++) {
            at = (at + strides[s]) & (WORDS - 1);
            u64 v = dst[at] + j;
            dst[at] = v;
            sum += v;
        }
    }
    return sum;
}

/* Links the nodes into one cycle in a random order (Fisher-Yates), then walks it. */
static u64 chase(u64 *state)
{
    for (u32 i = 0; i < NODES; i++)
        order[i] = i;
    for (u32 i = NODES - 1; i > 0; i--) {
        u32 j = below(state, i + 1);
        u32 t = order[i];
        order[i] = order[j];
        order[j] = t;
    }
    for (u32 i = 0; i < NODES; i++) {
        struct node *n = &nodes[order[i]];
        n->next = &nodes[order[(i + 1) & (NODES - 1)]];
        n->value = order[i];
    }

    u64 sum = 0;
    struct node *p = &nodes[order[0]];
    for (u32 step = 0; step < CHASE_STEPS; step++) {
        sum += p->value;
        p->value = sum; /* a store into each visited node, too */
        p = p->next;
    }
    return sum;
}

u64 workload_run(void)
{
    u64 state = 0x9E3779B97F4A7C15ull;
    u64 sum = stream(&state);
    sum = sum * 31 + strided();
    sum = sum * 31 + chase(&state);
    return sum;
}
