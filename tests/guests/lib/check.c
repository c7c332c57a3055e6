/* Check helpers shared by the C guests and (through lib/check.inc) the assembly ones.
 * A passing check stays quiet in the group style and prints one line in the expect_*
 * style; a failing one always prints what it got and what it wanted, so the diff
 * against NAME.expected shows where a run went wrong. */
#include "rt.h"

static int g_group_failures;
static int g_failures;

void check64(uint64_t got, uint64_t want, const char *what)
{
    if (got == want)
        return;
    printf("  FAIL %s: got 0x%lx want 0x%lx\n", what, got, want);
    g_group_failures++;
}

void group_end(const char *name)
{
    if (g_group_failures)
        printf("%s: %d FAILED\n", name, g_group_failures);
    else
        printf("%s: ok\n", name);
    g_failures += g_group_failures;
    g_group_failures = 0;
}

bool expect_hex(const char *what, uint64_t got, uint64_t want)
{
    if (got == want) {
        printf("%s = 0x%lx ok\n", what, got);
        return true;
    }
    printf("%s = 0x%lx FAIL (want 0x%lx)\n", what, got, want);
    g_failures++;
    return false;
}

bool expect_dec(const char *what, int64_t got, int64_t want)
{
    if (got == want) {
        printf("%s = %ld ok\n", what, got);
        return true;
    }
    printf("%s = %ld FAIL (want %ld)\n", what, got, want);
    g_failures++;
    return false;
}

bool expect_true(const char *what, bool ok)
{
    printf("%s: %s\n", what, ok ? "ok" : "FAIL");
    if (!ok)
        g_failures++;
    return ok;
}

int check_failures(void)
{
    return g_failures + g_group_failures;
}

int check_summary(const char *program)
{
    int n = check_failures();
    if (n)
        printf("%s: %d checks FAILED\n", program, n);
    else
        printf("%s: all checks passed\n", program);
    return n;
}
