/* The demo behind `make run`: a banner, then something visibly computed by guest code
 * under translation. Integer and fixed-point arithmetic only (no SSE/x87), so the
 * output is the same on every x86-64 machine. */
#include "rt.h"

/* Mandelbrot set in 64-bit fixed point with 24 fraction bits: z = z^2 + c until
 * |z|^2 > 4. Trailing blanks are trimmed so the expected output has none. */
#define FIX 24
#define ONE (1ll << FIX)

static void mandelbrot(void)
{
    static const char shades[] = ".,-:;=+*#%";
    enum { WIDTH = 72, HEIGHT = 25, MAX_ITER = 200 };
    for (int row = 0; row < HEIGHT; row++) {
        int64_t ci = -ONE * 6 / 5 + row * (ONE * 12 / 5) / (HEIGHT - 1);   /* -1.2 .. 1.2 */
        char line[WIDTH + 1];
        int end = 0;
        for (int col = 0; col < WIDTH; col++) {
            int64_t cr = -ONE * 21 / 10 + col * (ONE * 27 / 10) / (WIDTH - 1);   /* -2.1 .. 0.6 */
            int64_t zr = 0, zi = 0;
            int iter = 0;
            while (iter < MAX_ITER) {
                int64_t zr2 = (zr * zr) >> FIX, zi2 = (zi * zi) >> FIX;
                if (zr2 + zi2 > 4 * ONE)
                    break;
                zi = ((2 * zr * zi) >> FIX) + ci;
                zr = zr2 - zi2 + cr;
                iter++;
            }
            /* inside: '@'; outside: a shade by escape time, blank for the fastest */
            char c = iter == MAX_ITER ? '@' : iter < 3 ? ' ' : shades[iter < 30 ? (iter - 3) / 3 : 9];
            line[col] = c;
            if (c != ' ')
                end = col + 1;
        }
        line[end] = '\0';
        printf("  %s\n", line);
    }
}

static int count_primes(int limit)
{
    static bool composite[100001];
    int count = 0;
    for (int i = 2; i <= limit; i++) {
        if (composite[i])
            continue;
        count++;
        for (long j = (long)i * i; j <= limit; j += i)
            composite[j] = true;
    }
    return count;
}

/* N-queens by bitmasks: columns and both diagonals still free. */
static int queens(int n, unsigned cols, unsigned diag1, unsigned diag2)
{
    unsigned all = (1u << n) - 1;
    if (cols == all)
        return 1;
    int count = 0;
    for (unsigned free = all & ~(cols | diag1 | diag2); free; free &= free - 1) {
        unsigned bit = free & -free;
        count += queens(n, cols | bit, (diag1 | bit) << 1, (diag2 | bit) >> 1);
    }
    return count;
}

int main(void)
{
    printf("keel demo: this x86-64 code runs translated by keel\n\n");
    mandelbrot();
    printf("\n");
    printf("primes below 100000: %d\n", count_primes(100000));
    for (int n = 4; n <= 10; n++)
        printf("%2d-queens solutions: %d\n", n, queens(n, 0, 0, 0));
    printf("\ndone.\n");
    return 0;
}
