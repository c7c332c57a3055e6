/* A realistic compiled workload, built twice (-O2 and -O0, same expected output):
 * string functions, qsort, CRC32, 64-bit multiply/divide/modulo, a hash map,
 * recursion, switch statements compiled to jump tables, function pointers and
 * snprintf. Every result is printed and compared with a known value. Operands come
 * through volatile variables so the compiler cannot fold the arithmetic away. */
#include "rt.h"

/* ---- strings ---- */

static void reverse(char *s)
{
    for (size_t i = 0, j = strlen(s); i + 1 < j; i++, j--) {
        char t = s[i];
        s[i] = s[j - 1];
        s[j - 1] = t;
    }
}

static int count_words(const char *s)
{
    int words = 0;
    bool in_word = false;
    for (; *s; s++) {
        bool letter = *s != ' ' && *s != ',' && *s != '.';
        words += letter && !in_word;
        in_word = letter;
    }
    return words;
}

static long parse_long(const char *s)
{
    long sign = 1, v = 0;
    if (*s == '-')
        sign = -1, s++;
    while (*s >= '0' && *s <= '9')
        v = v * 10 + (*s++ - '0');
    return sign * v;
}

static void strings(void)
{
    char buf[64];
    strcpy(buf, "keel translates x86-64");
    expect_dec("strlen", (int64_t)strlen(buf), 22);
    expect_true("strcmp equal", strcmp(buf, "keel translates x86-64") == 0);
    expect_true("strcmp order", strcmp("abc", "abd") < 0 && strcmp("b", "abc") > 0);
    expect_true("strncmp prefix", strncmp(buf, "keel", 4) == 0 && strncmp(buf, "keep", 4) < 0);
    expect_dec("strchr", strchr(buf, 'x') - buf, 16);
    expect_true("strchr missing", strchr(buf, 'z') == NULL);
    reverse(buf);
    printf("reversed: %s\n", buf);
    expect_true("reverse", strcmp(buf, "46-68x setalsnart leek") == 0);
    memmove(buf + 2, buf, 10);   /* overlapping, forwards */
    buf[12] = '\0';
    printf("memmove up: %s\n", buf);
    memmove(buf, buf + 3, 9);    /* overlapping, backwards */
    printf("memmove down: %s\n", buf);
    memset(buf, '#', 5);
    expect_true("memset/memcmp", memcmp(buf, "#####", 5) == 0 && memcmp(buf, "####$", 5) < 0);
    expect_dec("count_words", count_words("The quick brown fox, jumps over the lazy dog."), 9);
    expect_dec("parse_long", parse_long("-9223372036854775807"), -9223372036854775807L);
}

/* ---- qsort ---- */

static void swap_bytes(char *a, char *b, size_t n)
{
    while (n--) {
        char t = *a;
        *a++ = *b;
        *b++ = t;
    }
}

/* Quicksort (Lomuto partition, median-of-three pivot) on any element type. */
static void qsort(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *))
{
    char *a = base;
    while (n > 1) {
        size_t mid = n / 2, last = n - 1;
        if (cmp(a + mid * size, a) < 0)
            swap_bytes(a + mid * size, a, size);
        if (cmp(a + last * size, a) < 0)
            swap_bytes(a + last * size, a, size);
        if (cmp(a + last * size, a + mid * size) < 0)
            swap_bytes(a + last * size, a + mid * size, size);
        swap_bytes(a + mid * size, a + last * size, size);   /* pivot to the end */
        size_t store = 0;
        for (size_t i = 0; i < last; i++)
            if (cmp(a + i * size, a + last * size) < 0)
                swap_bytes(a + i * size, a + store++ * size, size);
        swap_bytes(a + store * size, a + last * size, size);
        /* recurse into the smaller part, loop on the larger */
        if (store < n - store - 1) {
            qsort(a, store, size, cmp);
            a += (store + 1) * size;
            n -= store + 1;
        } else {
            qsort(a + (store + 1) * size, n - store - 1, size, cmp);
            n = store;
        }
    }
}

static int cmp_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

struct record {
    uint32_t key;
    char name[12];
};

static int cmp_record_desc(const void *a, const void *b)
{
    uint32_t x = ((const struct record *)a)->key, y = ((const struct record *)b)->key;
    return (x < y) - (x > y);
}

static uint32_t g_rng = 12345;
static uint32_t next_random(void)   /* xorshift32 */
{
    g_rng ^= g_rng << 13;
    g_rng ^= g_rng >> 17;
    g_rng ^= g_rng << 5;
    return g_rng;
}

static void sorting(void)
{
    static int numbers[1000];
    for (int i = 0; i < 1000; i++)
        numbers[i] = (int)(next_random() % 20001) - 10000;
    qsort(numbers, 1000, sizeof(int), cmp_int);
    bool sorted = true;
    int64_t sum = 0;
    for (int i = 0; i < 1000; i++) {
        sorted &= i == 0 || numbers[i - 1] <= numbers[i];
        sum += (int64_t)numbers[i] * (i + 1);
    }
    expect_true("qsort ints sorted", sorted);
    printf("qsort ints: min %d max %d median %d\n", numbers[0], numbers[999], numbers[500]);
    expect_dec("qsort ints weighted sum", sum, 1696531623);

    const char *words[] = { "pear", "apple", "fig", "kiwi", "banana", "cherry", "date", "apricot" };
    qsort(words, ARRAY_SIZE(words), sizeof(words[0]), cmp_str);
    printf("qsort strings:");
    for (size_t i = 0; i < ARRAY_SIZE(words); i++)
        printf(" %s", words[i]);
    printf("\n");

    struct record recs[5] = { { 30, "thirty" }, { 10, "ten" }, { 50, "fifty" }, { 20, "twenty" }, { 40, "forty" } };
    qsort(recs, 5, sizeof(recs[0]), cmp_record_desc);
    printf("qsort records descending: %s %s %s %s %s\n", recs[0].name, recs[1].name, recs[2].name,
           recs[3].name, recs[4].name);
}

/* ---- CRC32 (IEEE 802.3, reflected, polynomial 0xEDB88320) ---- */

static uint32_t g_crc_table[256];

static void crc32_init(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        g_crc_table[i] = c;
    }
}

static uint32_t crc32(const void *data, size_t n)
{
    const uint8_t *p = data;
    uint32_t c = 0xFFFFFFFFu;
    while (n--)
        c = g_crc_table[(c ^ *p++) & 0xFF] ^ (c >> 8);
    return c ^ 0xFFFFFFFFu;
}

static void checksums(void)
{
    crc32_init();
    expect_hex("crc32(\"123456789\")", crc32("123456789", 9), 0xCBF43926);   /* the standard check value */
    expect_hex("crc32(\"\")", crc32("", 0), 0);
    static uint8_t block[4096];
    for (int i = 0; i < 4096; i++)
        block[i] = (uint8_t)(i * 31 + (i >> 8));
    expect_hex("crc32(4 KiB pattern)", crc32(block, sizeof(block)), 0x4E30EEB1);
}

/* ---- 64-bit arithmetic ---- */

static volatile uint64_t v_u[] = { 0xFFFFFFFFFFFFFFFFull, 0x123456789ABCDEF0ull, 3, 1000000007, 0x100000000ull };
static volatile int64_t v_s[] = { INT64_MIN, -7, 2, -2, 7, 1000000007 };

static void arithmetic(void)
{
    expect_hex("u64 max / 3", v_u[0] / v_u[2], 0x5555555555555555ull);
    expect_hex("u64 max % 1000000007", v_u[0] % v_u[3], 582344007);
    expect_hex("0x123456789abcdef0 / 2^32", v_u[1] / v_u[4], 0x12345678);
    expect_hex("0x123456789abcdef0 * 3", v_u[1] * v_u[2], 0x369D0369D0369CD0ull);
    expect_hex("u64 max * u64 max", v_u[0] * v_u[0], 1);
    expect_dec("-7 / 2", v_s[1] / v_s[2], -3);
    expect_dec("-7 % 2", v_s[1] % v_s[2], -1);
    expect_dec("7 / -2", v_s[4] / v_s[3], -3);
    expect_dec("7 % -2", v_s[4] % v_s[3], 1);
    expect_dec("INT64_MIN / 7", v_s[0] / v_s[4], -1317624576693539401L);
    expect_dec("INT64_MIN % 7", v_s[0] % v_s[4], -1);
    expect_dec("INT64_MIN / 1000000007", v_s[0] / v_s[5], -9223371972L);
    expect_dec("-7 * 1000000007", v_s[1] * v_s[5], -7000000049L);
    expect_dec("INT64_MIN >> 3 (arithmetic)", v_s[0] >> 3, -1152921504606846976L);
    expect_hex("u64 max >> 3 (logical)", v_u[0] >> 3, 0x1FFFFFFFFFFFFFFFull);
    /* division by constants becomes multiplication at -O2, div/idiv at -O0 */
    uint64_t acc = 0;
    for (uint64_t x = v_u[1]; x; x /= 10)
        acc = acc * 31 + x % 10;
    expect_hex("decimal digits hash", acc, 0x53CF6C4C9721CCC6ull);
    int64_t sacc = 0;
    for (int64_t x = -(int64_t)v_u[3] * 977; x; x /= 7)
        sacc = sacc * 3 + x % 7;
    expect_dec("base-7 digits of a negative number, folded", sacc, -24370831);
    /* 64-bit LCG (Knuth's MMIX constants): wrapping multiply-add */
    uint64_t lcg = 1;
    for (int i = 0; i < 1000; i++)
        lcg = lcg * 6364136223846793005ull + 1442695040888963407ull;
    expect_hex("LCG after 1000 steps", lcg, 0xF517FF66DF0CBEA9ull);
}

/* ---- hash map: open addressing, linear probing, tombstones ---- */

enum { MAP_SLOTS = 2048 };
enum slot_state { EMPTY, USED, DELETED };
static struct slot {
    uint64_t key;
    uint64_t value;
    enum slot_state state;
} g_map[MAP_SLOTS];

static uint64_t hash64(uint64_t k)   /* splitmix64 finalizer */
{
    k ^= k >> 30;
    k *= 0xBF58476D1CE4E5B9ull;
    k ^= k >> 27;
    k *= 0x94D049BB133111EBull;
    return k ^ (k >> 31);
}

static struct slot *map_find(uint64_t key, bool for_insert)
{
    struct slot *tomb = NULL;
    for (uint64_t i = hash64(key) % MAP_SLOTS, n = 0; n < MAP_SLOTS; i = (i + 1) % MAP_SLOTS, n++) {
        struct slot *s = &g_map[i];
        if (s->state == EMPTY)
            return for_insert ? (tomb ? tomb : s) : NULL;
        if (s->state == DELETED) {
            if (!tomb)
                tomb = s;
        } else if (s->key == key) {
            return s;
        }
    }
    return for_insert ? tomb : NULL;
}

static void map_put(uint64_t key, uint64_t value)
{
    struct slot *s = map_find(key, true);
    *s = (struct slot){ key, value, USED };
}

static bool map_remove(uint64_t key)
{
    struct slot *s = map_find(key, false);
    if (s)
        s->state = DELETED;
    return s != NULL;
}

static void hash_map(void)
{
    for (uint64_t k = 1; k <= 1500; k++)
        map_put(k * 7919, k * k);
    int removed = 0;
    for (uint64_t k = 3; k <= 1500; k += 3)
        removed += map_remove(k * 7919);
    for (uint64_t k = 1; k <= 300; k++)
        map_put(k * 7919, k);   /* overwrite some, re-insert removed ones */
    uint64_t sum = 0;
    int found = 0;
    for (uint64_t k = 1; k <= 1600; k++) {
        struct slot *s = map_find(k * 7919, false);
        if (s)
            sum += s->value, found++;
    }
    expect_dec("hash map removed", removed, 500);
    expect_dec("hash map found", found, 1100);
    expect_dec("hash map value sum", (int64_t)sum, 744044750);
}

/* ---- recursion ---- */

static uint64_t fib(unsigned n)
{
    return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

static uint64_t ackermann(uint64_t m, uint64_t n)
{
    if (m == 0)
        return n + 1;
    if (n == 0)
        return ackermann(m - 1, 1);
    return ackermann(m - 1, ackermann(m, n - 1));
}

static uint64_t g_moves;
static void hanoi(int n, int from, int to, int via)
{
    if (n == 0)
        return;
    hanoi(n - 1, from, via, to);
    g_moves++;
    hanoi(n - 1, via, to, from);
}

static int permutations(int *a, int k, int n)   /* counts permutations with a[0] < a[n-1] */
{
    if (k == n)
        return a[0] < a[n - 1];
    int count = 0;
    for (int i = k; i < n; i++) {
        int t = a[k];
        a[k] = a[i], a[i] = t;
        count += permutations(a, k + 1, n);
        a[i] = a[k], a[k] = t;
    }
    return count;
}

static void recursion(void)
{
    expect_dec("fib(25)", (int64_t)fib(25), 75025);
    expect_dec("ackermann(2, 3)", (int64_t)ackermann(2, 3), 9);
    expect_dec("ackermann(3, 3)", (int64_t)ackermann(3, 3), 61);
    hanoi(16, 0, 2, 1);
    expect_dec("hanoi(16) moves", (int64_t)g_moves, 65535);
    int a[7] = { 1, 2, 3, 4, 5, 6, 7 };
    expect_dec("permutations of 7 with first < last", permutations(a, 0, 7), 2520);
}

/* ---- switch: a small stack machine; dense cases compile to a jump table ---- */

enum op { PUSH, ADD, SUB, MUL, DIV, MOD, DUP, SWAP, JNZ, DEC, OVER, DROP, PRINT, HALT };

static int64_t run_program(const int64_t *code)
{
    int64_t stack[32];
    int sp = 0;
    for (int pc = 0;;) {
        int64_t a, b;
        switch ((enum op)code[pc++]) {
        case PUSH: stack[sp++] = code[pc++]; break;
        case ADD: b = stack[--sp], a = stack[--sp], stack[sp++] = a + b; break;
        case SUB: b = stack[--sp], a = stack[--sp], stack[sp++] = a - b; break;
        case MUL: b = stack[--sp], a = stack[--sp], stack[sp++] = a * b; break;
        case DIV: b = stack[--sp], a = stack[--sp], stack[sp++] = a / b; break;
        case MOD: b = stack[--sp], a = stack[--sp], stack[sp++] = a % b; break;
        case DUP: stack[sp] = stack[sp - 1]; sp++; break;
        case SWAP: a = stack[sp - 1], stack[sp - 1] = stack[sp - 2], stack[sp - 2] = a; break;
        case JNZ: a = code[pc++]; if (stack[sp - 1]) pc = (int)a; break;
        case DEC: stack[sp - 1]--; break;
        case OVER: stack[sp] = stack[sp - 2]; sp++; break;
        case DROP: sp--; break;
        case PRINT: printf("vm: %ld\n", stack[sp - 1]); break;
        case HALT: return stack[sp - 1];
        default: printf("vm: bad opcode %ld\n", code[pc - 1]); return -1;
        }
    }
}

static const char *day_name(int d)
{
    switch (d) {
    case 0: return "Sunday";
    case 1: return "Monday";
    case 2: return "Tuesday";
    case 3: return "Wednesday";
    case 4: return "Thursday";
    case 5: return "Friday";
    case 6: return "Saturday";
    default: return "?";
    }
}

static void switches(void)
{
    /* 20! computed as acc = 1, n = 20; while (n) { acc *= n; n-- } */
    static const int64_t factorial[] = {
        PUSH, 1, PUSH, 20,          /* acc n */
        SWAP, OVER, MUL, SWAP,      /* 4: acc*n n */
        DEC, JNZ, 4, DROP, PRINT, HALT,
    };
    expect_dec("vm 20!", run_program(factorial), 2432902008176640000L);
    static const int64_t mixed[] = { PUSH, 1000, PUSH, 7, MOD, PUSH, 3, MUL, PUSH, -100, PUSH, 9, DIV, SUB, HALT };
    expect_dec("vm (1000 % 7) * 3 - (-100 / 9)", run_program(mixed), 29);
    /* day of week, Zeller-style (Sakamoto), for 2024-02-29 (a Thursday) */
    static const int t[] = { 0, 3, 2, 5, 0, 3, 5, 1, 4, 6, 2, 4 };
    int y = 2024 - 1, m = 2, d = 29;   /* y-- for January and February */
    int dow = (y + y / 4 - y / 100 + y / 400 + t[m - 1] + d) % 7;
    printf("2024-02-29 is a %s\n", day_name(dow));
    expect_dec("day of week", dow, 4);
}

/* ---- function pointers ---- */

typedef int64_t (*binary_op)(int64_t, int64_t);
static int64_t op_add(int64_t a, int64_t b) { return a + b; }
static int64_t op_sub(int64_t a, int64_t b) { return a - b; }
static int64_t op_mul(int64_t a, int64_t b) { return a * b; }
static int64_t op_max(int64_t a, int64_t b) { return a > b ? a : b; }

static int64_t fold(const int64_t *v, int n, binary_op op, int64_t init)
{
    for (int i = 0; i < n; i++)
        init = op(init, v[i]);
    return init;
}

static void function_pointers(void)
{
    static const struct {
        const char *name;
        binary_op op;
        int64_t init, want;
    } ops[] = {
        { "add", op_add, 0, 25 }, { "sub", op_sub, 100, 75 }, { "mul", op_mul, 1, 32400 }, { "max", op_max, INT64_MIN, 9 },
    };
    static const int64_t values[] = { 3, -1, 4, 1, -5, 9, 2, 6, 5, 1 };
    for (size_t i = 0; i < ARRAY_SIZE(ops); i++) {
        char what[32];
        snprintf(what, sizeof(what), "fold %s", ops[i].name);
        expect_dec(what, fold(values, 10, ops[i].op, ops[i].init), ops[i].want);
    }
}

/* ---- snprintf ---- */

static void formatting(void)
{
    char buf[96];
    int n = snprintf(buf, sizeof(buf), "[%5d|%-5d|%05d|%x|%08lX|%s|%c|%u|%%]", 42, -42, -42, 0xBEEFu,
                     0xABCDEFul, "str", 'c', 4000000000u);
    printf("snprintf: %s\n", buf);
    expect_true("snprintf", strcmp(buf, "[   42|-42  |-0042|beef|00ABCDEF|str|c|4000000000|%]") == 0);
    expect_dec("snprintf length", n, 52);
    n = snprintf(buf, 8, "%s", "truncated output");
    expect_true("snprintf truncates", strcmp(buf, "truncat") == 0 && n == 16);
    snprintf(buf, sizeof(buf), "%p %ld %lu", (void *)0x1000, (long)INT64_MIN, (unsigned long)UINT64_MAX);
    expect_true("snprintf %p and extremes", strcmp(buf, "0x0000000000001000 -9223372036854775808 18446744073709551615") == 0);
}

int main(void)
{
    printf("c_runtime: a compiled C workload\n");
    strings();
    sorting();
    checksums();
    arithmetic();
    hash_map();
    recursion();
    switches();
    function_pointers();
    formatting();
    return check_summary("c_runtime");
}
