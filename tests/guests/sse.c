/* Ordinary C compiled for the default x86-64 ISA, so with SSE2: double arithmetic and
 * conversions, float, struct copies and zeroing the compiler does with XMM registers,
 * and SSE2 integer intrinsics. Expected output: the same source run natively on the host
 * (values printed as exact bit patterns). Keel runs SSE/SSE2 as host instructions on the
 * guest's XMM state (docs/sse.md). */
#include <emmintrin.h>
#include "rt.h"

struct particle {
    double x, y, vx, vy;
    long id;
};

static struct particle particles[32];

static uint64_t bits_of(double d)
{
    uint64_t b;
    memcpy(&b, &d, sizeof b);
    return b;
}

static double integrate_pi(int steps)
{
    double sum = 0;
    for (int i = 0; i < steps; ++i) {
        double x = (i + 0.5) / steps;
        sum += 4.0 / (1.0 + x * x);
    }
    return sum / steps;
}

static uint32_t get_mxcsr(void)
{
    uint32_t m;
    __asm__ volatile("stmxcsr %0" : "=m"(m));
    return m;
}

static void set_mxcsr(uint32_t m) { __asm__ volatile("ldmxcsr %0" : : "m"(m)); }

static long cvtsd2si(double d)
{
    long r;
    __asm__ volatile("cvtsd2si %1, %0" : "=r"(r) : "x"(d));
    return r;
}

/* MXCSR (Intel SDM vol. 1 §10.2.3): rounding control, the sticky exception flags, FTZ.
 * Every exception stays masked: natively an unmasked one would be a SIGFPE. */
static void mxcsr_checks(void)
{
    for (uint32_t rc = 0; rc < 4; ++rc) {
        set_mxcsr(0x1F80 | rc << 13);
        printf("round%u  %ld %ld %ld\n", rc, cvtsd2si(2.5), cvtsd2si(-2.5), cvtsd2si(3.7));
    }
    volatile double one = 1.0, three = 3.0, zero = 0.0, tiny = 1e-300;
    set_mxcsr(0x1F80);
    volatile double q = one / three; /* inexact: PE */
    uint32_t inexact = get_mxcsr() & 0x3F;
    set_mxcsr(0x1F80);
    q = one / zero; /* ZE */
    uint32_t divide = get_mxcsr() & 0x3F;
    set_mxcsr(0x1F80 | 0x8000); /* FTZ: an underflowing result becomes +0, UE and PE */
    q = tiny * tiny;
    uint32_t underflow = get_mxcsr() & 0x3F;
    set_mxcsr(0x1F80);
    printf("mxcsr   %02x %02x %02x %016llx\n", inexact, divide, underflow, (unsigned long long)bits_of(q));
}

static double newton_sqrt(double v)
{
    double x = v;
    for (int i = 0; i < 30; ++i)
        x = 0.5 * (x + v / x);
    return x;
}

static void simulate(void)
{
    for (int i = 0; i < 32; ++i) {
        struct particle p = { i * 0.25, -i * 1.5, 1.0 / (i + 1), i * 0.125, i };
        particles[i] = p; /* a struct copy: MOVUPS/MOVAPS pairs */
    }
    for (int step = 0; step < 100; ++step) {
        for (int i = 0; i < 32; ++i) {
            struct particle *p = &particles[i];
            p->x += p->vx * 0.01;
            p->y += p->vy * 0.01;
            if (p->y < -40.0)
                p->vy = -p->vy * 0.9;
            p->vy -= 9.81 * 0.01;
        }
    }
}

int main(void)
{
    printf("pi      %016llx\n", (unsigned long long)bits_of(integrate_pi(20000)));
    printf("sqrt2   %016llx\n", (unsigned long long)bits_of(newton_sqrt(2.0)));
    float f = 1.0f;
    for (int i = 0; i < 20; ++i)
        f = f * 1.5f - 0.25f;
    uint32_t fb;
    memcpy(&fb, &f, 4);
    printf("float   %08x\n", fb);
    printf("convert %lld %lld %d\n", (long long)(1e12 / 3.0), (long long)-2.75e3, (int)(float)123456789);

    simulate();
    double sx = 0, sy = 0;
    long ids = 0;
    for (int i = 0; i < 32; ++i) {
        sx += particles[i].x;
        sy += particles[i].y;
        ids += particles[i].id;
    }
    printf("sim     %016llx %016llx %ld\n", (unsigned long long)bits_of(sx), (unsigned long long)bits_of(sy), ids);

    __m128i a = _mm_set_epi32(1, 2, 3, 4), b = _mm_set_epi32(0x10, 0x20, 0x30, 0x40);
    __m128i c = _mm_add_epi32(_mm_mullo_epi16(a, b), _mm_slli_epi32(b, 3));
    __m128i d = _mm_xor_si128(_mm_shuffle_epi32(c, 0x1B), _mm_cmpgt_epi32(c, b));
    uint32_t out[4];
    _mm_storeu_si128((__m128i *)out, d);
    printf("simd    %08x %08x %08x %08x mask %04x\n", out[0], out[1], out[2], out[3], _mm_movemask_epi8(_mm_cmpeq_epi8(a, a)));

    int equal = 0;
    double values[4] = { 1.5, -0.0, 0.0, 2.25 };
    for (int i = 0; i < 4; ++i)
        equal += values[i] == values[(i + 1) & 3]; /* UCOMISD sets ZF/PF/CF */
    printf("compare %d\n", equal);
    mxcsr_checks();
    return 0;
}
