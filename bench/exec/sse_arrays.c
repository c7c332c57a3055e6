/* sse_arrays: array loops as gcc vectorises them with SSE2.
 *
 * The one workload compiled with SSE allowed (-ftree-vectorize, bench/exec/CMakeLists.txt):
 * a 32-bit integer matrix product, 16-bit multiply-accumulate (PMADDWD), byte-wise
 * saturating adds, min/max and compares, and element-wise single-precision arithmetic
 * (exact IEEE results, so every executor prints the same checksum). What a translator
 * keeping each XMM operand in its CPU context, rather than in a host XMM register, is
 * slowest at. */
#include "workload.h"

typedef int i32;
typedef short i16;
typedef unsigned short u16;

#define N 96            /* matrix side */
#define WORDS 4096      /* 16-bit vectors */
#define BYTES 65536     /* byte vectors */
#define FLOATS 8192
#define ROUNDS 200

static i32 ma[N][N], mb[N][N], mc[N][N];
static i16 wa[WORDS], wb[WORDS];
static u8 ba[BYTES], bb[BYTES], bc[BYTES];
static float fa[FLOATS], fb[FLOATS], fc[FLOATS];

static void matmul(void)
{
    for (int i = 0; i < N; i++) {
        for (int j = 0; j < N; j++)
            mc[i][j] = 0;
        for (int k = 0; k < N; k++) {
            i32 a = ma[i][k];
            for (int j = 0; j < N; j++)
                mc[i][j] += a * mb[k][j];
        }
    }
}

static i32 dot16(void)
{
    i32 sum = 0;
    for (int i = 0; i < WORDS; i++)
        sum += (i32)wa[i] * (i32)wb[i];
    return sum;
}

static void bytes_round(void)
{
    for (int i = 0; i < BYTES; i++) {
        unsigned s = (unsigned)ba[i] + bb[i];
        bc[i] = (u8)(s > 255 ? 255 : s);
    }
    for (int i = 0; i < BYTES; i++) {
        u8 lo = ba[i] < bc[i] ? ba[i] : bc[i];
        u8 hi = ba[i] > bb[i] ? ba[i] : bb[i];
        ba[i] = (u8)(lo ^ (hi >> 1));
        bb[i] = (u8)(bb[i] == bc[i] ? bb[i] + 1 : bb[i] - 3);
    }
}

static void floats_round(void)
{
    for (int i = 0; i < FLOATS; i++)
        fc[i] = fa[i] * fb[i] + fc[i] * 0.5f;
    for (int i = 0; i < FLOATS; i++)
        fa[i] = fa[i] < fc[i] ? fc[i] - fa[i] : fa[i] * 0.75f;
}

static u64 mix(u64 h, u64 v) { return (h ^ v) * 0x100000001B3ull; }

u64 workload_run(void)
{
    u64 state = 0x3C6EF372FE94F82Aull;
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++) {
            ma[i][j] = (i32)(xorshift64(&state) & 0xFFFF) - 0x8000;
            mb[i][j] = (i32)(xorshift64(&state) & 0xFFF) - 0x800;
        }
    for (int i = 0; i < WORDS; i++) {
        wa[i] = (i16)xorshift64(&state);
        wb[i] = (i16)xorshift64(&state);
    }
    for (int i = 0; i < BYTES; i++) {
        ba[i] = (u8)xorshift64(&state);
        bb[i] = (u8)xorshift64(&state);
    }
    for (int i = 0; i < FLOATS; i++) {
        fa[i] = (float)(xorshift64(&state) & 0xFFFFF) / 1024.0f;
        fb[i] = (float)(xorshift64(&state) & 0xFFFF) / 65536.0f;
        fc[i] = 1.0f;
    }

    u64 h = 0xCBF29CE484222325ull;
    for (int round = 0; round < ROUNDS; round++) {
        matmul();
        h = mix(h, (u64)(unsigned)mc[round % N][(round * 7) % N]);
        for (int i = 0; i < N; i++) /* feed the product back, kept small */
            ma[i][round % N] = mc[i][(round * 3) % N] >> 12;
        for (int r = 0; r < 8; r++) {
            h = mix(h, (u64)(unsigned)dot16());
            wa[(r * 131 + round) % WORDS] += 1;
        }
        for (int r = 0; r < 4; r++)
            bytes_round();
        floats_round();
    }
    for (int i = 0; i < BYTES; i += 61)
        h = mix(h, ba[i] | (u64)bb[i] << 8 | (u64)bc[i] << 16);
    for (int i = 0; i < FLOATS; i += 13) {
        union {
            float f;
            u32 bits;
        } v = {fa[i]};
        h = mix(h, v.bits);
    }
    return h;
}
