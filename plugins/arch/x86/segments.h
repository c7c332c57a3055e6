#pragma once
// Segment descriptors and segment-register loads (Intel SDM vol. 3 ch. 3 and §5.x).
// Every function that can fault records the guest exception and returns false.
#include "plugins/arch/x86/cpu_state.h"

namespace keel::x86 {

struct Descriptor {
    u64 low;   // bytes 0..7
    u64 high;  // bytes 8..15 (system descriptors in IA-32e mode)
    u64 base() const { return ((low >> 16) & 0xFFFFFF) | (((low >> 56) & 0xFF) << 24); }
    u64 system_base() const { return base() | ((high & 0xFFFFFFFF) << 32); }
    u32 limit() const
    {
        u32 raw = static_cast<u32>((low & 0xFFFF) | (((low >> 48) & 0xF) << 16));
        return (low & (1ull << 55)) ? (raw << 12) | 0xFFF : raw;
    }
    u16 attributes() const { return static_cast<u16>(((low >> 40) & 0xFF) | (((low >> 52) & 0xF) << 8)); }
    u8 type() const { return (low >> 40) & 0xF; }
    bool is_system() const { return !((low >> 44) & 1); }
    u8 dpl() const { return (low >> 45) & 3; }
    bool present() const { return (low >> 47) & 1; }
    bool is_code() const { return !is_system() && (type() & 8); }
    bool long_mode() const { return (low >> 53) & 1; }
};

// Reads the descriptor a selector names (GDT or LDT). `system`: read 16 bytes.
// Faults: #GP(selector) outside the table (or the caller's fault if `error_vector` says so).
bool read_descriptor(CpuContext& ctx, u16 selector, bool system, Descriptor& out, u8 error_vector = vector::GP);
// Sets the descriptor's accessed bit in memory (Intel SDM vol. 3 §3.4.5.1).
bool mark_accessed(CpuContext& ctx, u16 selector, Descriptor& d);

Segment segment_from(u16 selector, const Descriptor& d);
Segment null_segment(u16 selector);

// MOV Sreg / POP Sreg for DS, ES, FS, GS, SS with the protected-mode checks.
bool load_data_segment(CpuContext& ctx, SegmentIndex seg, u16 selector);
// LTR: the selector must name an available 64-bit TSS, which becomes busy.
bool load_task_register(CpuContext& ctx, u16 selector);
// Sets or clears the busy bit of the TSS descriptor `selector` names in the GDT (type
// 9 <-> 0xB; §7.2.2), as LTR and task switches do.
bool set_tss_busy(CpuContext& ctx, u16 selector, bool busy);
// VERR/VERW: whether the segment is readable/writable at CPL; false on a fault.
bool verify_segment(CpuContext& ctx, u16 selector, bool write, bool& accessible);
// LLDT: LDTR from a GDT descriptor (or unusable for a null selector); false on a fault.
bool load_ldt_register(CpuContext& ctx, u16 selector);
// A stack outside 64-bit mode (Intel SDM vol. 3 §3.4.5, the B flag): SS.B = 1 uses ESP,
// else SP, and the linear address SS.base + that pointer is 32 bits.
inline u64 stack_linear(const Segment& ss, u32 sp)
{
    return (ss.base + ((ss.attributes & seg_attr::db) ? sp : sp & 0xFFFF)) & 0xFFFFFFFFull;
}
// The stack pointer after a push or pop to `sp`: all of ESP (zero-extended into RSP) with
// SS.B = 1, SP alone otherwise.
inline u64 moved_stack_pointer(u64 rsp, const Segment& ss, u32 sp)
{
    return (ss.attributes & seg_attr::db) ? sp : (rsp & ~0xFFFFull) | (sp & 0xFFFF);
}
// A segment-register load in real-address mode: the selector, and the base it names
// (selector x 16); the limit and the attributes stay as they were (Intel SDM vol. 3
// §21.1.1: what "unreal mode" relies on).
inline void load_real_mode_segment(Segment& segment, u16 selector)
{
    segment.selector = selector;
    segment.base = u64 { selector } << 4;
}
// Whether segment loads are real-mode ones (selector x 16, no descriptor): in real-address
// mode and in virtual-8086 mode (§20.1.1).
inline bool real_mode_segments(const CpuState& s) { return !(s.cr0 & cr0::PE) || (s.rflags & rflags::VM); }
// A segment register as virtual-8086 mode has it: base selector x 16, limit 64 KiB,
// present, DPL 3, read/write data (execute/read code for CS), accessed, 16-bit.
inline Segment virtual8086_segment(u16 selector, bool code)
{
    return Segment { u64 { selector } << 4, 0xFFFF, selector, static_cast<u16>(code ? 0xFB : 0xF3) };
}
// Reads RSPn or ISTn from the current 64-bit TSS (Intel SDM vol. 3 §7.7).
bool read_tss_stack(CpuContext& ctx, unsigned offset, u64& value);
// The stack for privilege level `cpl` from the current 32-bit TSS (SSn:ESPn, §7.2.1), as
// an interrupt or a call gate to a more privileged level switches to it, with SS's checks:
// #TS (selector + `ext`) for a null, mismatched or unwritable SS, #SS if not present, #TS
// for a TSS too short to hold it. False when it faulted.
bool read_tss32_stack(CpuContext& ctx, u32 cpl, u32 ext, Segment& ss, u32& esp);

} // namespace keel::x86
