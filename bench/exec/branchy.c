/* branchy: control flow whose direction depends on data.
 *
 * Three kernels a translator handles very differently from straight-line code: a bytecode
 * interpreter (a switch compiled to an indirect jump through a table, taken once per
 * bytecode), a recursive quicksort (comparisons decided by random keys) and binary
 * searches over its output (one unpredictable branch per probe). */
#include "workload.h"

#define COLLATZ_LIMIT 40000u  /* interpreter: total Collatz steps of 1 .. limit-1 */
#define KEYS (512u * 1024u)   /* quicksort input: 2 MiB of u32 */
#define SEARCHES (1024u * 1024u)

/* ---- A register-machine interpreter --------------------------------------------- */

/* Each instruction is four bytes: opcode, register a, then b and c, which are a register,
 * an 8-bit immediate, or (b | c << 8) a 16-bit immediate or jump target. JLT compares
 * registers a and b, so its target is c alone (< 256). */
enum opcode { OP_LI, OP_MOV, OP_ADD, OP_SUB, OP_ADDI, OP_SHRI, OP_ANDI, OP_MULI,
              OP_JZ, OP_JNZ, OP_JLT, OP_JMP, OP_HALT };

struct program {
    u8 code[256];
    u32 size;
};

static u32 emit(struct program *p, enum opcode op, u32 a, u32 b, u32 c)
{
    u32 at = p->size;
    p->code[at] = (u8)op;
    p->code[at + 1] = (u8)a;
    p->code[at + 2] = (u8)b;
    p->code[at + 3] = (u8)c;
    p->size += 4;
    return at;
}

static void patch_target(struct program *p, u32 insn, u32 target)
{
    p->code[insn + 2] = (u8)target;
    p->code[insn + 3] = (u8)(target >> 8);
}

/* r0 = n, r1 = limit, r2 = total steps, r3 = x, r4 = scratch, r5 = 1 */
static void build_collatz(struct program *p)
{
    p->size = 0;
    emit(p, OP_LI, 0, 1, 0);
    emit(p, OP_LI, 1, COLLATZ_LIMIT & 0xFF, COLLATZ_LIMIT >> 8);
    emit(p, OP_LI, 2, 0, 0);
    emit(p, OP_LI, 5, 1, 0);
    u32 next_n = emit(p, OP_MOV, 3, 0, 0);
    u32 step = emit(p, OP_MOV, 4, 3, 0);
    emit(p, OP_SUB, 4, 5, 0);
    u32 to_done = emit(p, OP_JZ, 4, 0, 0);      /* x == 1 */
    emit(p, OP_MOV, 4, 3, 0);
    emit(p, OP_ANDI, 4, 1, 0);
    u32 to_odd = emit(p, OP_JNZ, 4, 0, 0);
    emit(p, OP_SHRI, 3, 1, 0);
    emit(p, OP_ADDI, 2, 1, 0);
    patch_target(p, emit(p, OP_JMP, 0, 0, 0), step);
    u32 odd = emit(p, OP_MULI, 3, 3, 0);
    emit(p, OP_ADDI, 3, 1, 0);
    emit(p, OP_ADDI, 2, 1, 0);
    patch_target(p, emit(p, OP_JMP, 0, 0, 0), step);
    u32 done = emit(p, OP_ADDI, 0, 1, 0);
    emit(p, OP_JLT, 0, 1, next_n);
    emit(p, OP_HALT, 0, 0, 0);
    patch_target(p, to_done, done);
    patch_target(p, to_odd, odd);
}

static u64 interpret(const struct program *p)
{
    u64 r[8] = {0};
    u32 pc = 0;
    u64 executed = 0;
    for (;;) {
        const u8 *i = &p->code[pc];
        u32 target = i[2] | (u32)i[3] << 8;
        executed++;
        pc += 4;
        switch ((enum opcode)i[0]) {
        case OP_LI:   r[i[1]] = target; break;
        case OP_MOV:  r[i[1]] = r[i[2]]; break;
        case OP_ADD:  r[i[1]] += r[i[2]]; break;
        case OP_SUB:  r[i[1]] -= r[i[2]]; break;
        case OP_ADDI: r[i[1]] += i[2]; break;
        case OP_SHRI: r[i[1]] >>= i[2]; break;
        case OP_ANDI: r[i[1]] &= i[2]; break;
        case OP_MULI: r[i[1]] *= i[2]; break;
        case OP_JZ:   if (r[i[1]] == 0) pc = target; break;
        case OP_JNZ:  if (r[i[1]] != 0) pc = target; break;
        case OP_JLT:  if (r[i[1]] < r[i[2]]) pc = i[3]; break;
        case OP_JMP:  pc = target; break;
        case OP_HALT: return r[2] * 1000003u + executed;
        }
    }
}

/* ---- Sorting and searching -------------------------------------------------------- */

static u32 keys[KEYS];

static void insertion_sort(u32 *a, long n)
{
    for (long i = 1; i < n; i++) {
        u32 v = a[i];
        long j = i - 1;
        while (j >= 0 && a[j] > v) {
            a[j + 1] = a[j];
            j--;
        }
        a[j + 1] = v;
    }
}

/* Hoare partition around a median of three; recursion on the smaller side first keeps
 * the stack depth logarithmic. */
static void quicksort(u32 *a, long n)
{
    while (n > 16) {
        u32 x = a[0], y = a[n / 2], z = a[n - 1];
        u32 pivot = x < y ? (y < z ? y : (x < z ? z : x)) : (x < z ? x : (y < z ? z : y));
        long i = -1, j = n;
        for (;;) {
            do i++; while (a[i] < pivot);
            do j--; while (a[j] > pivot);
            if (i >= j)
                break;
            u32 t = a[i];
            a[i] = a[j];
            a[j] = t;
        }
        long left = j + 1;
        if (left < n - left) {
            quicksort(a, left);
            a += left;
            n -= left;
        } else {
            quicksort(a + left, n - left);
            n = left;
        }
    }
    insertion_sort(a, n);
}

/* Index of the first key >= wanted, written with an early exit on equality so the
 * compiler keeps real branches rather than conditional moves. */
static u32 lower_bound(const u32 *a, u32 n, u32 wanted)
{
    u32 lo = 0, hi = n;
    while (lo < hi) {
        u32 mid = lo + (hi - lo) / 2;
        if (a[mid] < wanted)
            lo = mid + 1;
        else if (a[mid] > wanted)
            hi = mid;
        else
            return mid;
    }
    return lo;
}

static u64 sort_and_search(u64 *state)
{
    for (u32 i = 0; i < KEYS; i++)
        keys[i] = (u32)xorshift64(state);
    quicksort(keys, KEYS);

    u64 sum = 0;
    for (u32 i = 1; i < KEYS; i++)
        sum += keys[i] >= keys[i - 1]; /* KEYS - 1 when sorted */
    for (u32 s = 0; s < SEARCHES; s++)
        sum += lower_bound(keys, KEYS, (u32)xorshift64(state));
    return sum;
}

u64 workload_run(void)
{
    static struct program collatz;
    u64 state = 0xB7E151628AED2A6Bull;
    build_collatz(&collatz);
    u64 sum = interpret(&collatz);
    return sum * 31 + sort_and_search(&state);
}
