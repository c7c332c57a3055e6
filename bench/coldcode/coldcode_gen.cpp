// coldcode-gen: writes the cold-code benchmark's program (README.md) as GNU assembler.
//
//   coldcode-gen --functions N --rounds R OUT.S
//
// The program defines workload_run() (bench/exec/workload.h), so it links with the same
// guest and native start-up code as the execution workloads. workload_run calls N distinct
// generated functions, R times over, through a table of pointers, and returns their
// combined result. Each function is four basic blocks of integer, load/store and compare
// code of the kind a compiler emits, every block executed on every call: the blocks end in
// conditional branches whose outcome depends on read-only data the generator chose, so a
// translator cannot tell that the fall-through side (a ud2 nobody reaches) is dead, but
// the run never goes there. With R = 1 each block runs exactly once.
//
// The same seed always gives the same program, and variants that differ only in R hold
// byte-identical functions.
#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

namespace {

// The shape every function has; coldcode-bench reads it from the generator's output
// comment, so the numbers it divides by are the ones generated.
constexpr int blocks_per_function = 4;
constexpr int table_words = 64;       // the writable table each function loads and stores
constexpr int constant_words = 256;   // the read-only data the branches compare against

struct Rng {
    uint64_t state;
    uint64_t next()
    {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        return state;
    }
    uint32_t below(uint32_t bound) { return static_cast<uint32_t>(((next() >> 32) * bound) >> 32); }
};

struct Writer {
    std::FILE* out;
    long instructions = 0; // executed per call of every function together
    void line(const char* format, ...) __attribute__((format(printf, 2, 3)))
    {
        va_list args;
        va_start(args, format);
        std::vfprintf(out, format, args);
        va_end(args);
        std::fputc('\n', out);
    }
    // An instruction the run executes (counted) or one it never reaches (not counted).
    void insn(const std::string& text, bool executed = true)
    {
        std::fprintf(out, "    %s\n", text.c_str());
        if (executed)
            instructions++;
    }
};

std::string hex(uint64_t value)
{
    char text[32];
    std::snprintf(text, sizeof text, "0x%llx", static_cast<unsigned long long>(value));
    return text;
}

// A branch to `label` that is taken at run time: it compares constants[index] against an
// immediate the generator picked on the right side of it, with JB or JAE at random.
void taken_branch(Writer& w, Rng& rng, const uint32_t* constants, const std::string& label)
{
    uint32_t index = rng.below(constant_words);
    uint32_t value = constants[index];
    bool use_below = rng.next() & 1;
    // jb: taken when value < imm, so imm in (value, 2^31); jae: imm in [0, value].
    uint32_t imm = use_below ? value + 1 + rng.below(0x7fffffffu - value)
                             : rng.below(value + 1);
    w.insn("cmpl $" + hex(imm) + ", coldcode_constants+" + std::to_string(4 * index) + "(%rip)");
    w.insn(std::string(use_below ? "jb " : "jae ") + label);
    w.insn("ud2", false); // never reached: the branch is always taken
}

std::string table_slot(Rng& rng) { return std::to_string(8 * rng.below(table_words)) + "(%rsi)"; }

// One function: acc (rdi) and the table (rsi) in, new acc (rax) out. Clobbers only
// caller-saved registers.
void write_function(Writer& w, Rng& rng, const uint32_t* constants, long index)
{
    std::string name = "coldcode_fn" + std::to_string(index);
    std::string local = ".Lcc" + std::to_string(index) + "_";
    w.line("    .p2align 4");
    w.line("%s:", name.c_str());
    // Block 1: multiply-add and a table load.
    w.insn("mov %rdi, %rax");
    w.insn("imul $" + hex(rng.below(0x7fffffff) | 1) + ", %rax, %rax");
    w.insn("mov " + table_slot(rng) + ", %rcx");
    w.insn("add %rcx, %rax");
    taken_branch(w, rng, constants, local + "b");
    // Block 2: address arithmetic, a rotate, a store.
    w.line("%sb:", local.c_str());
    w.insn("lea " + std::to_string(rng.below(4096)) + "(%rax,%rcx,2), %rdx");
    w.insn("xor %rdx, %rax");
    w.insn("ror $" + std::to_string(1 + rng.below(63)) + ", %rax");
    w.insn("mov %rax, " + table_slot(rng));
    taken_branch(w, rng, constants, local + "c");
    // Block 3: byte and 32-bit operations, flags consumed by setcc and cmov.
    w.line("%sc:", local.c_str());
    w.insn("movzbl %al, %ecx");
    w.insn("shl $3, %rcx");
    w.insn("sub %rcx, %rax");
    w.insn("test $" + hex(1u << rng.below(31)) + ", %eax");
    w.insn("setnz %cl");
    w.insn("cmovz %rdx, %rax");
    w.insn("add %rcx, %rax");
    w.insn("jmp " + local + "d");
    w.insn("ud2", false);
    // Block 4: a read-modify-write of the table and the return.
    w.line("%sd:", local.c_str());
    w.insn("xor %rax, " + table_slot(rng));
    w.insn("shr $" + std::to_string(1 + rng.below(7)) + ", %rdx");
    w.insn("add %rdx, %rax");
    w.insn("ret");
}

int usage()
{
    std::fputs("usage: coldcode-gen --functions N --rounds R OUT.S\n", stderr);
    return 2;
}

}

int main(int argc, char** argv)
{
    long functions = -1, rounds = -1;
    const char* path = nullptr;
    for (int i = 1; i < argc; i++) {
        if (!std::strcmp(argv[i], "--functions") && i + 1 < argc)
            functions = std::strtol(argv[++i], nullptr, 10);
        else if (!std::strcmp(argv[i], "--rounds") && i + 1 < argc)
            rounds = std::strtol(argv[++i], nullptr, 10);
        else if (argv[i][0] != '-' && !path)
            path = argv[i];
        else
            return usage();
    }
    if (!path || functions < 1 || functions > 1000000 || rounds < 0 || rounds > 1000000)
        return usage();
    std::FILE* out = std::fopen(path, "w");
    if (!out) {
        std::fprintf(stderr, "coldcode-gen: cannot write %s\n", path);
        return 1;
    }

    Rng rng {0x9e3779b97f4a7c15ull}; // fixed: every build generates the same program
    uint32_t constants[constant_words];
    for (uint32_t& c : constants)
        c = 1 + rng.below(0x7ffffffe);

    Writer w {out};
    w.line("/* Generated by coldcode-gen (bench/coldcode): do not edit. */");
    w.line("    .section .rodata");
    w.line("    .p2align 6");
    w.line("coldcode_constants:");
    for (uint32_t c : constants)
        w.line("    .long %s", hex(c).c_str());
    w.line("coldcode_functions:");
    for (long i = 0; i < functions; i++)
        w.line("    .quad coldcode_fn%ld", i);
    w.line("    .bss");
    w.line("    .p2align 6");
    w.line("coldcode_table:");
    w.line("    .zero %d", 8 * table_words);
    w.line("    .text");

    // u64 workload_run(void): r12 counts rounds, rbx walks the function table, r13 keeps
    // acc across the calls (all callee-saved, pushed with rbp to keep RSP 16-aligned).
    w.line("    .globl workload_run");
    w.line("    .p2align 6");
    w.line("workload_run:");
    w.line("    push %%rbx");
    w.line("    push %%r12");
    w.line("    push %%r13");
    w.line("    mov $%s, %%r13", hex(0x243f6a8885a308d3ull).c_str());
    w.line("    mov $%ld, %%r12", rounds);
    w.line("    test %%r12, %%r12");
    w.line("    jz 3f");
    w.line("1:  lea coldcode_functions(%%rip), %%rbx");
    w.line("2:  mov %%r13, %%rdi");
    w.line("    lea coldcode_table(%%rip), %%rsi");
    w.line("    call *(%%rbx)");
    w.line("    mov %%rax, %%r13");
    w.line("    add $8, %%rbx");
    w.line("    lea coldcode_functions+%ld(%%rip), %%rax", 8 * functions);
    w.line("    cmp %%rax, %%rbx");
    w.line("    jne 2b");
    w.line("    sub $1, %%r12");
    w.line("    jnz 1b");
    w.line("3:  lea coldcode_table(%%rip), %%rsi");
    w.line("    mov %%r13, %%rax");
    w.line("    xor (%%rsi), %%rax");
    w.line("    pop %%r13");
    w.line("    pop %%r12");
    w.line("    pop %%rbx");
    w.line("    ret");

    w.instructions = 0; // count only the generated functions' instructions
    for (long i = 0; i < functions; i++)
        write_function(w, rng, constants, i);
    w.line("/* coldcode: functions %ld blocks %ld instructions %ld rounds %ld */", functions,
           functions * blocks_per_function, w.instructions, rounds);
    w.line("    .section .note.GNU-stack, \"\", @progbits");
    if (std::fclose(out) != 0) {
        std::fprintf(stderr, "coldcode-gen: cannot write %s\n", path);
        return 1;
    }
    return 0;
}
