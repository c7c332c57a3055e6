/* random_access: a hash table over 128 MiB probed at random.
 *
 * What a translator with a software TLB pays most for: an access to a page its TLB does not
 * hold walks the guest page tables, where the host's hardware TLB and page walker do the
 * same job natively. 128 MiB is 32768 pages: with the 4096 entries keel's soft TLB had
 * (16 MiB) nearly every access missed; with 65536 (256 MiB) the table fits. Open addressing with linear probing; the table is static (.bss),
 * so keel guests need the default 256 MiB of RAM or more. */
#include "workload.h"

#define SLOTS (16u * 1024u * 1024u) /* u64 keys: 128 MiB */
#define INSERTS (3u * 1024u * 1024u)
#define LOOKUPS (6u * 1024u * 1024u)

static u64 table[SLOTS];

static u32 slot_of(u64 key) { return (u32)((key * 0x9E3779B97F4A7C15ull) >> 40); } /* 24 bits */

static void insert(u64 key)
{
    for (u32 at = slot_of(key);; at = (at + 1) & (SLOTS - 1)) {
        if (table[at] == key)
            return;
        if (table[at] == 0) {
            table[at] = key;
            return;
        }
    }
}

static int contains(u64 key)
{
    for (u32 at = slot_of(key);; at = (at + 1) & (SLOTS - 1)) {
        if (table[at] == key)
            return 1;
        if (table[at] == 0)
            return 0;
    }
}

u64 workload_run(void)
{
    u64 state = 0x243F6A8885A308D3ull;
    for (u32 i = 0; i < INSERTS; i++)
        insert(xorshift64(&state) | 1); /* 0 marks an empty slot */
    /* Half of the lookups replay the inserted keys, half are new ones. */
    u64 replay = 0x243F6A8885A308D3ull, fresh = 0x13198A2E03707344ull, found = 0, sum = 0;
    for (u32 i = 0; i < LOOKUPS; i++) {
        u64 key = (i & 1) ? xorshift64(&fresh) | 1 : xorshift64(&replay) | 1;
        if (contains(key)) {
            found++;
            sum += key >> 7;
        }
    }
    return found * 0x100000001ull ^ sum;
}
