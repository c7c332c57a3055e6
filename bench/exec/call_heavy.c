/* call_heavy: calls and returns, direct and indirect.
 *
 * Every call and return is a control transfer a translator must resolve: returns jump to
 * a guest address held on the guest stack, indirect calls to one held in a register. This
 * workload is little else: deep recursion (fib, Ackermann), a dispatch loop calling
 * through a table of function pointers, and calls passing arguments on the stack and
 * returning structures through memory. noipa keeps GCC from inlining, cloning or
 * propagating constants into the callees, so each call stays a real call. */
#include "workload.h"

#define NOIPA __attribute__((noipa))

#define FIB_N 38u
#define ACK_M 2u
#define ACK_N 7000u       /* ack(2, n) = 2n + 3, about 2n^2 calls, depth about 2n */
#define DISPATCHES 8000000u

NOIPA static u64 fib(u32 n)
{
    return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

NOIPA static u64 ackermann(u64 m, u64 n)
{
    if (m == 0)
        return n + 1;
    if (n == 0)
        return ackermann(m - 1, 1);
    return ackermann(m - 1, ackermann(m, n - 1));
}

/* Eight small leaf functions with distinct bodies, called through a table. */
NOIPA static u64 op_add(u64 a, u64 b) { return a + b; }
NOIPA static u64 op_sub(u64 a, u64 b) { return a - b; }
NOIPA static u64 op_xor(u64 a, u64 b) { return a ^ b; }
NOIPA static u64 op_mul(u64 a, u64 b) { return a * (b | 1); }
NOIPA static u64 op_rol(u64 a, u64 b) { return (a << (b & 63)) | (a >> (-b & 63)); }
NOIPA static u64 op_min(u64 a, u64 b) { return a < b ? a : b; }
NOIPA static u64 op_max(u64 a, u64 b) { return a > b ? a : b; }
NOIPA static u64 op_avg(u64 a, u64 b) { return (a >> 1) + (b >> 1) + (a & b & 1); }

typedef u64 (*binary_op)(u64, u64);
static binary_op const ops[8] = {op_add, op_sub, op_xor, op_mul, op_rol, op_min, op_max, op_avg};

/* More than six integer arguments: the last two travel on the stack (SysV AMD64 ABI,
 * section 3.2.3). */
NOIPA static u64 mix8(u64 a, u64 b, u64 c, u64 d, u64 e, u64 f, u64 g, u64 h)
{
    return a + 3 * b + 5 * c + 7 * d + 11 * e + 13 * f + 17 * g + 19 * h;
}

/* A 32-byte structure is returned through a hidden pointer (class MEMORY). */
struct quad {
    u64 w, x, y, z;
};

NOIPA static struct quad quad_step(struct quad q, u64 k)
{
    struct quad r = {q.x + k, q.y ^ q.w, q.z + (q.w << 1), q.w ^ k};
    return r;
}

static u64 dispatch(u64 *state)
{
    u64 acc = 1;
    struct quad q = {1, 2, 3, 4};
    for (u32 i = 0; i < DISPATCHES; i++) {
        u64 s = xorshift64(state);
        acc = ops[s & 7](acc, s >> 3);
        if ((s & 0x30) == 0) { /* a quarter of the iterations */
            acc += mix8(acc, s, i, acc >> 7, s >> 9, i * 3, acc ^ s, 42);
            q = quad_step(q, acc);
        }
    }
    return acc ^ q.w ^ q.x ^ q.y ^ q.z;
}

u64 workload_run(void)
{
    u64 state = 0x3C6EF372FE94F82Bull;
    u64 sum = fib(FIB_N);
    sum = sum * 31 + ackermann(ACK_M, ACK_N);
    sum = sum * 31 + dispatch(&state);
    return sum;
}
