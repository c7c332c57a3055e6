#pragma once
// Runtime helpers the x86 frontend calls from generated code (ir::Helper descriptors).
// Every helper sees ctx.hot.pc = the guest instruction calling it; a helper that raises
// an exception or changes control flow returns helper_exit().
#include "dbt/ir/helper.h"

namespace keel::x86::helpers {

// Exceptions and interrupts.
extern const ir::Helper raise_exception;     // (vector, has_error, error_code)
extern const ir::Helper raise_fetch_fault;   // (linear address that could not be fetched)
extern const ir::Helper software_interrupt;  // (vector, next rip, 1 for INT1/ICEBP)

// System instructions.
extern const ir::Helper cpuid;               // ()
extern const ir::Helper rdrand;              // () -> CF; the number (0 when CF = 0) in CpuState::vector_temp
extern const ir::Helper rdtsc;               // (write rcx = TSC_AUX too: 1 for RDTSCP)
extern const ir::Helper rdmsr;               // ()
extern const ir::Helper wrmsr;               // ()
extern const ir::Helper write_cr;            // (cr number, value)
extern const ir::Helper invlpg;              // (linear address)
extern const ir::Helper ltr;                 // (selector)
extern const ir::Helper lldt;                // (selector)
extern const ir::Helper syscall;             // (next rip); ends the block
extern const ir::Helper iopl3_check;         // (): #GP(0) unless IOPL is 3 (virtual-8086 mode's PUSHF)
extern const ir::Helper sysenter;            // (); ends the block
extern const ir::Helper sysexit;             // (operand size 4 or 8); ends the block
extern const ir::Helper sysret;              // (operand size); ends the block
extern const ir::Helper verr_verw;           // (selector, write) -> 1 when accessible (VERR/VERW)
extern const ir::Helper read_dr;             // (n) -> DRn
extern const ir::Helper write_dr;            // (n, value)
extern const ir::Helper load_segment;        // (segment index | insn length << 8, selector)
extern const ir::Helper iretq;               // (operand size in bytes, instruction length)
extern const ir::Helper far_return;          // (operand size in bytes, bytes to release)
extern const ir::Helper far_jump;            // (selector, offset, CALL operand bytes (0: JMP) | insn length << 8)
extern const ir::Helper popf;                // (value, operand size in bytes)
extern const ir::Helper sti;                 // (next rip)
extern const ir::Helper cli;                 // ()
extern const ir::Helper io_in;               // (port, size) -> value
extern const ir::Helper io_out;              // (port, size | insn length << 8, value)
extern const ir::Helper cmpxchg16b;          // (linear address, bytes | insn length << 8 | stack << 16)
extern const ir::Helper rep_string;          // (string_op::encode(...), instruction length)

// Instructions that exist only outside 64-bit mode (helpers_legacy.cpp).
enum class BcdOp : u8 { Daa, Das, Aaa, Aas, Aam, Aad };
extern const ir::Helper bcd_adjust;          // (BcdOp | imm8 << 8, AX, packed flags) -> AX | packed flags << 16
extern const ir::Helper bound;               // (index, lower, upper), sign-extended: #BR outside
extern const ir::Helper into;                // (next eip, OF): #OF when OF is set

} // namespace keel::x86::helpers
