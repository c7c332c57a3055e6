#include "kernel/debug/panic.h"
#include "kernel/arch/cpu.h"
#include "kernel/arch/idt.h"
#include "kernel/arch/interrupt_frame.h"
#include "kernel/console/serial.h"
#include "kernel/debug/backtrace.h"
#include "kernel/debug/symbols.h"
#include "kernel/main/exit_codes.h"
#include "kernel/mm/layout.h"

namespace keel::kernel {
namespace {

u32 g_panicking = 0;

unsigned long long ull(u64 v) { return v; }

// Interrupts off first: a timer tick must not run in the middle of a panic. A second panic
// (a fault while printing the first: a corrupt symbol table, a bad frame pointer) gets
// one line: the first one's output is already on the console. It ends the run rather
// than halting, so a test does not wait for its timeout; exit_qemu is an OUTL and HLT and
// cannot panic itself.
void begin_panic(const char* what)
{
    cpu::cli();
    if (__atomic_exchange_n(&g_panicking, 1u, __ATOMIC_ACQ_REL)) {
        serial::write("keel: PANIC during a panic: ");
        serial::write(what ? what : "(no message)");
        serial::write("\n");
        exit_qemu(static_cast<u8>(ExitCode::KernelPanic));
    }
}

[[noreturn]] void end_panic()
{
    serial::print("keel: exiting with 0x%x (kernel panic)\n", static_cast<unsigned>(ExitCode::KernelPanic));
    exit_qemu(static_cast<u8>(ExitCode::KernelPanic));
}

// Which part of keel's address space (kernel/mm/layout.h) an address is in.
const char* region_of(u64 address)
{
    static constexpr const char* stack_names[] = { "the kernel stack", "the #DF stack", "the #PF stack",
        "the NMI/#MC stack", "the interrupt stack" };
    static_assert(sizeof(stack_names) / sizeof(stack_names[0]) == static_cast<u64>(layout::StackSlot::Count));
    if (symbols::in_kernel_text(address))
        return "the kernel image's code";
    if (layout::in_translation_cache(address))
        return "the translation cache (generated code; RBP is the CPU context there, not a frame pointer)";
    if (layout::in_heap(address))
        return "the kernel heap";
    for (u64 slot = 0; slot < static_cast<u64>(layout::StackSlot::Count); ++slot) {
        auto s = static_cast<layout::StackSlot>(slot);
        u64 top = layout::stack_slot_top(s);
        if (address < top && address >= top - layout::stack_size(s))
            return stack_names[slot];
        if (address < top && address >= top - layout::stack_slot_size)
            return "a stack guard area (stack overflow?)";
    }
    if (layout::in_vm_space(address))
        return "the VM space (guest memory)";
    if (address < layout::identity_map_limit)
        return "identity-mapped physical memory";
    if (address >= 0x0000'8000'0000'0000 && address < 0xffff'8000'0000'0000)
        return "non-canonical addresses";
    return "no range keel maps";
}

// QEMU's flag letters (target/i386/cpu-dump.c): D O S Z A P C, '-' when clear.
void format_flags(u64 rflags, char (&out)[8])
{
    constexpr struct {
        u32 bit;
        char letter;
    } flags[] = { { 10, 'D' }, { 11, 'O' }, { 7, 'S' }, { 6, 'Z' }, { 4, 'A' }, { 2, 'P' }, { 0, 'C' } };
    u32 n = 0;
    for (auto f : flags)
        out[n++] = (rflags >> f.bit) & 1 ? f.letter : '-';
    out[n] = '\0';
}

void print_symbolized(const char* label, u64 address)
{
    const char* name;
    u64 offset;
    if (symbols::lookup(address, name, offset))
        serial::print("%s 0x%llx is %.200s+0x%llx, in %s\n", label, ull(address), name, ull(offset), region_of(address));
    else if (symbols::in_kernel_text(address)) // no keel.sym: addr2line -e keel.so takes the offset
        serial::print("%s 0x%llx is keel+0x%llx, in %s\n", label, ull(address), ull(address - symbols::image_base()),
            region_of(address));
    else
        serial::print("%s 0x%llx is in %s\n", label, ull(address), region_of(address));
}

void print_control_registers()
{
    serial::print("CR0=%08llx CR2=%016llx CR3=%016llx CR4=%08llx\n", ull(cpu::read_cr0()), ull(cpu::read_cr2()),
        ull(cpu::read_cr3()), ull(cpu::read_cr4()));
    serial::print("EFER=%016llx\n", ull(cpu::read_msr(cpu::msr_efer)));
}

// The error code's meaning (SDM vol. 3 §6.13 for selector error codes, §4.7 for #PF).
void print_vector(const InterruptFrame& frame, u64 cr2)
{
    u64 vector = frame.vector;
    u64 e = frame.error_code;
    if (!idt::has_error_code(vector)) {
        serial::print("keel: vector %llu (%s), no error code\n", ull(vector), idt::vector_name(vector));
        return;
    }
    if (vector == 14) {
        serial::print("keel: vector 14 (%s), error code 0x%llx [P=%d W=%d U=%d RSVD=%d I=%d PK=%d]: %s %s in %s mode, "
                      "CR2=0x%llx\n",
            idt::vector_name(vector), ull(e), int(e & 1), int((e >> 1) & 1), int((e >> 2) & 1), int((e >> 3) & 1),
            int((e >> 4) & 1), int((e >> 5) & 1), e & 1 ? "protection violation" : "not-present page",
            e & 16 ? "on an instruction fetch" : (e & 2 ? "on a write" : "on a read"), e & 4 ? "user" : "supervisor",
            ull(cr2));
        return;
    }
    if (e == 0 || vector == 8 || vector == 17) {
        serial::print("keel: vector %llu (%s), error code 0x%llx\n", ull(vector), idt::vector_name(vector), ull(e));
        return;
    }
    static constexpr const char* tables[] = { "GDT", "IDT", "LDT", "IDT" };
    serial::print("keel: vector %llu (%s), error code 0x%llx [%s index 0x%llx%s]\n", ull(vector), idt::vector_name(vector),
        ull(e), tables[(e >> 1) & 3], ull((e >> 3) & 0x1FFF), e & 1 ? ", external event" : "");
}

} // namespace

void panic_with_frame(const InterruptFrame& frame, const char* reason)
{
    u64 cr2 = cpu::read_cr2(); // before anything else can fault and overwrite it
    begin_panic(reason);
    serial::print("\nkeel: PANIC: %s\n", reason);
    print_vector(frame, cr2);
    serial::print("RAX=%016llx RBX=%016llx RCX=%016llx RDX=%016llx\n", ull(frame.rax), ull(frame.rbx), ull(frame.rcx),
        ull(frame.rdx));
    serial::print("RSI=%016llx RDI=%016llx RBP=%016llx RSP=%016llx\n", ull(frame.rsi), ull(frame.rdi), ull(frame.rbp),
        ull(frame.rsp));
    serial::print("R8 =%016llx R9 =%016llx R10=%016llx R11=%016llx\n", ull(frame.r8), ull(frame.r9), ull(frame.r10),
        ull(frame.r11));
    serial::print("R12=%016llx R13=%016llx R14=%016llx R15=%016llx\n", ull(frame.r12), ull(frame.r13), ull(frame.r14),
        ull(frame.r15));
    char flags[8];
    format_flags(frame.rflags, flags);
    serial::print("RIP=%016llx RFL=%08llx [%s] IF=%d CS =%04llx SS =%04llx\n", ull(frame.rip), ull(frame.rflags),
        flags, int((frame.rflags >> 9) & 1), ull(frame.cs), ull(frame.ss));
    print_control_registers();
    print_symbolized("RIP", frame.rip);
    print_symbolized("RSP", frame.rsp);
    serial::print("kernel image at 0x%llx (gdb: add-symbol-file keel.so -o 0x%llx)\n", ull(symbols::image_base()),
        ull(symbols::image_base()));
    backtrace::print(frame.rip, frame.rbp);
    end_panic();
}

void panic_handler(const char* file, int line, const char* message)
{
    u64 rflags = cpu::read_rflags(); // before begin_panic clears IF
    u64 rsp, rbp;
    u16 cs, ss;
    asm volatile("movq %%rsp, %0\n\t"
                 "movq %%rbp, %1\n\t"
                 "movw %%cs, %2\n\t"
                 "movw %%ss, %3"
                 : "=r"(rsp), "=r"(rbp), "=r"(cs), "=r"(ss));
    begin_panic(message);
    serial::print("\nkeel: PANIC: %s:%d: %s\n", file ? file : "?", line, message ? message : "(no message)");
    char flags[8];
    format_flags(rflags, flags);
    serial::print("RSP=%016llx RBP=%016llx RFL=%08llx [%s] IF=%d CS =%04x SS =%04x\n", ull(rsp), ull(rbp), ull(rflags),
        flags, int((rflags >> 9) & 1), cs, ss);
    print_control_registers();
    print_symbolized("RSP", rsp);
    serial::print("kernel image at 0x%llx (gdb: add-symbol-file keel.so -o 0x%llx)\n", ull(symbols::image_base()),
        ull(symbols::image_base()));
    // From our caller (panic_at) on: this function's own frame says nothing.
    backtrace::print(reinterpret_cast<u64>(__builtin_return_address(0)), *static_cast<const u64*>(__builtin_frame_address(0)),
        true);
    end_panic();
}

} // namespace keel::kernel
