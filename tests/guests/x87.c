/* x87 FPU and MMX, which keel runs as host instructions on the guest's FXSAVE-format FPU
 * state (docs/x87.md): long double arithmetic as gcc emits it (FLD/FMUL/FDIV/FSTP,
 * FCOMI/FCMOVcc, FILD/FISTP), the transcendental instructions, control-word changes
 * (rounding and precision), environment and state saves (FNSTENV/FLDENV, FNSAVE/FRSTOR,
 * FXSAVE/FXRSTOR), BCD stores and MMX arithmetic. Expected output: the same source run
 * natively on the host; values are printed as exact bit patterns. */
#include "rt.h"

/* Exact, or with the low `fuzzy` mantissa bits cleared: FSIN, FCOS, F2XM1, FPATAN and
 * FYL2X are accurate to about 1 ulp, and Intel's and AMD's results differ there, so the
 * expected file would hold on one vendor only. */
static void print_value(const char *name, long double v, unsigned fuzzy_bytes)
{
    unsigned char b[16];
    memset(b, 0, sizeof b);
    memcpy(b, &v, 10);
    for (unsigned i = 0; i < fuzzy_bytes; ++i)
        b[i] = 0;
    printf("%s %02x%02x %02x%02x%02x%02x%02x%02x%02x%02x\n", name, b[9], b[8], b[7], b[6], b[5], b[4], b[3], b[2], b[1], b[0]);
}

static void print_ld(const char *name, long double v) { print_value(name, v, 0); }

static long double series(int n)
{
    long double sum = 0;
    for (int i = 1; i <= n; ++i)
        sum += 1.0L / ((long double)i * i);
    return sum;
}

static long double unary(unsigned op, long double x)
{
    switch (op) {
    case 0: __asm__("fsqrt" : "+t"(x)); break;
    case 1: __asm__("fsin" : "+t"(x)); break;
    case 2: __asm__("fcos" : "+t"(x)); break;
    case 3: __asm__("f2xm1" : "+t"(x)); break;
    case 4: __asm__("frndint" : "+t"(x)); break;
    case 5: __asm__("fabs; fchs" : "+t"(x)); break;
    }
    return x;
}

static long double binary(unsigned op, long double x, long double y)
{
    long double r;
    switch (op) {
    case 0: __asm__("fpatan" : "=t"(r) : "0"(x), "u"(y) : "st(1)"); break;
    case 1: __asm__("fyl2x" : "=t"(r) : "0"(x), "u"(y) : "st(1)"); break;
    case 2: __asm__("fprem" : "=t"(r) : "0"(x), "u"(y)); break;
    case 3: __asm__("fscale" : "=t"(r) : "0"(x), "u"(y)); break;
    default: r = 0;
    }
    return r;
}

static unsigned short control_word(void)
{
    unsigned short cw;
    __asm__ volatile("fnstcw %0" : "=m"(cw));
    return cw;
}

static void set_control_word(unsigned short cw) { __asm__ volatile("fldcw %0" : : "m"(cw)); }

int main(void)
{
    print_ld("series", series(2000));
    /* Arguments inside each instruction's domain (F2XM1: -1..1). */
    for (unsigned op = 0; op < 6; ++op) {
        char name[8] = "unary0";
        name[5] = (char)('0' + op);
        int transcendental = op >= 1 && op <= 3;
        print_value(name, unary(op, op == 3 ? 0.375L : 0.7853981633974483096L + op), transcendental ? 2 : 0);
    }
    for (unsigned op = 0; op < 4; ++op) {
        char name[8] = "binary0";
        name[6] = (char)('0' + op);
        print_value(name, binary(op, 10.75L + op, 3.25L), op <= 1 ? 2 : 0);
    }

    /* Comparisons and selects (FCOMI, FUCOMI, FCMOVcc at -O2), conversions (FISTTP/FISTP). */
    long double values[6] = { 1.5L, -2.25L, 1e300L * 1e300L, -0.0L, 7.0L, 1e-4000L };
    long double best = values[0];
    int order = 0;
    for (int i = 1; i < 6; ++i) {
        best = values[i] > best ? values[i] : best;
        order = order * 3 + (values[i] < values[i - 1]) + 2 * (values[i] == values[i - 1]);
    }
    print_ld("max", best);
    printf("order    %d\n", order);
    long long ints[4] = { (long long)(values[0] * 1e15L), (long long)values[1], (long long)(values[4] * -3), 0 };
    long long rounded;
    __asm__("fistpll %0" : "=m"(rounded) : "t"(2.5L) : "st");
    ints[3] = rounded;
    printf("ints     %lld %lld %lld %lld\n", ints[0], ints[1], ints[2], ints[3]);

    /* The control word: round toward zero, then 24-bit precision; restored after. */
    unsigned short saved = control_word();
    set_control_word((unsigned short)((saved & ~0x0C00) | 0x0C00));
    volatile long double third = 1.0L;
    third /= 3.0L;
    print_ld("chop", third);
    set_control_word((unsigned short)((saved & ~0x0300) | 0x0000));
    volatile long double single = 1.0L;
    single /= 3.0L;
    print_ld("prec24", single);
    set_control_word(saved);
    printf("cw       %04x\n", control_word());

    /* Exception flags: a division by zero (masked) sets ZE in the status word. */
    unsigned short status;
    __asm__ volatile("fnclex");
    volatile long double zero = 0.0L, one = 1.0L;
    volatile long double inf = one / zero;
    __asm__ volatile("fnstsw %0" : "=m"(status));
    print_ld("inf", inf);
    printf("status   %04x\n", status & 0x3F);

    /* Environment and state: FNSTENV/FLDENV, FNSAVE/FRSTOR, FXSAVE/FXRSTOR keep the
     * stack's contents and the control word. */
    unsigned char env[28], save[108], __attribute__((aligned(16))) fx[512];
    long double a = 3.0L, b;
    __asm__ volatile("fnstenv %0; fldenv %0" : "=m"(env));
    __asm__ volatile("fldt %2; fnsave %0; frstor %0; fstpt %1" : "=m"(save), "=m"(b) : "m"(a) : "memory");
    print_ld("frstor", b);
    __asm__ volatile("fldpi; fxsave %0; fstp %%st(0); fxrstor %0; fstpt %1" : "=m"(fx), "=m"(b) : : "memory");
    print_ld("fxrstor", b);
    printf("fxsave   fcw %02x%02x tag %02x mxcsr %02x%02x\n", fx[1], fx[0], fx[4], fx[25], fx[24]);

    /* BCD: FBSTP of 123456789. */
    unsigned char bcd[10];
    __asm__ volatile("fbstp %0" : "=m"(bcd) : "t"(123456789.0L) : "st");
    printf("bcd      %02x%02x%02x%02x%02x sign %02x\n", bcd[4], bcd[3], bcd[2], bcd[1], bcd[0], bcd[9]);

    /* MMX: packed adds and multiplies on MM registers, then EMMS. */
    unsigned long long x = 0x7fff000100020003ull, y = 0x0001fffe7ffd0004ull, sum, product;
    __asm__ volatile("movq %2, %%mm0; movq %3, %%mm1; paddsw %%mm1, %%mm0; movq %%mm0, %0;"
                     "movq %2, %%mm2; pmullw %%mm1, %%mm2; movq %%mm2, %1; emms"
                     : "=m"(sum), "=m"(product) : "m"(x), "m"(y) : "mm0", "mm1", "mm2");
    printf("mmx      %016llx %016llx\n", sum, product);
    return 0;
}
