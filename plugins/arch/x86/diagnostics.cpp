// Register dumps (in the layout of QEMU's `info registers`), IR state names, and guest
// disassembly for -d in_asm.
#include <Zydis/Zydis.h>
#include "plugins/arch/x86/mode.h"
#include "plugins/arch/x86/x86_arch.h"

namespace keel::x86 {
namespace {

const char* const gpr_names[16] = { "rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
                                    "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15" };

const char* name_state(u32 off, ir::Type type)
{
    if (off < 16 * 8) {
        static const char* const b8[16] = { "al", "cl", "dl", "bl", "spl", "bpl", "sil", "dil", "r8b", "r9b", "r10b", "r11b", "r12b", "r13b", "r14b", "r15b" };
        static const char* const h8[4] = { "ah", "ch", "dh", "bh" };
        static const char* const w16[16] = { "ax", "cx", "dx", "bx", "sp", "bp", "si", "di", "r8w", "r9w", "r10w", "r11w", "r12w", "r13w", "r14w", "r15w" };
        static const char* const d32[16] = { "eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi", "r8d", "r9d", "r10d", "r11d", "r12d", "r13d", "r14d", "r15d" };
        unsigned g = off / 8;
        if (off % 8 == 1 && type == ir::Type::U8 && g < 4)
            return h8[g];
        if (off % 8)
            return nullptr;
        switch (type) {
        case ir::Type::U8: return b8[g];
        case ir::Type::U16: return w16[g];
        case ir::Type::U32: return d32[g];
        default: return gpr_names[g];
        }
    }
    if (off == offset::rflags) return "rflags.sys";
    if (off == offset::segment_base(FS)) return "fs.base";
    if (off == offset::segment_base(GS)) return "gs.base";
    if (off == offset::kernel_gs_base) return "kernel_gs_base";
    if (off == offset::cr0) return "cr0";
    if (off == offset::cr2) return "cr2";
    if (off == offset::cr3) return "cr3";
    if (off == offset::cr4) return "cr4";
    if (off == offset::cr8) return "cr8";
    if (off == offset::gdtr_base) return "gdtr.base";
    if (off == offset::gdtr_limit) return "gdtr.limit";
    if (off == offset::idtr_base) return "idtr.base";
    if (off == offset::idtr_limit) return "idtr.limit";
    return nullptr;
}

void dump_segment(StringBuilder& out, const char* name, const Segment& s)
{
    out.append("%-3s=%04x %016llx %08x %04x\n", name, s.selector, (unsigned long long)s.base, s.limit, s.attributes);
}

} // namespace

ir::StateNamer X86Arch::state_namer() const { return name_state; }

void X86Arch::dump_state(const CpuContext& ctx, StringBuilder& out) const
{
    const CpuState& s = state(ctx);
    static const unsigned order[16] = { RAX, RBX, RCX, RDX, RSI, RDI, RBP, RSP, R8, R9, R10, R11, R12, R13, R14, R15 };
    for (unsigned i = 0; i < 16; ++i) {
        char name[4];
        const char* n = gpr_names[order[i]];
        name[0] = n[0] >= 'a' ? static_cast<char>(n[0] - 32) : n[0];
        name[1] = n[1] >= 'a' ? static_cast<char>(n[1] - 32) : n[1];
        name[2] = n[2] ? (n[2] >= 'a' ? static_cast<char>(n[2] - 32) : n[2]) : ' ';
        name[3] = 0;
        out.append("%s=%016llx%s", name, (unsigned long long)s.gpr[order[i]], i % 4 == 3 ? "\n" : " ");
    }
    u64 flags = read_rflags(ctx);
    out.append("RIP=%016llx RFL=%08llx [%c%c%c%c%c%c%c] CPL=%u II=%d\n", (unsigned long long)ctx.hot.pc, (unsigned long long)flags,
        flags & rflags::DF ? 'D' : '-', flags & rflags::OF ? 'O' : '-', flags & rflags::SF ? 'S' : '-', flags & rflags::ZF ? 'Z' : '-',
        flags & rflags::AF ? 'A' : '-', flags & rflags::PF ? 'P' : '-', flags & rflags::CF ? 'C' : '-', current_cpl(ctx),
        s.interrupt_shadow_rip != ~0ull);
    static const char* const seg_names[] = { "ES", "CS", "SS", "DS", "FS", "GS" };
    for (unsigned i = 0; i < SegmentCount; ++i)
        dump_segment(out, seg_names[i], s.segment[i]);
    dump_segment(out, "LDT", s.ldtr);
    dump_segment(out, "TR", s.tr);
    out.append("GDT=     %016llx %08x\n", (unsigned long long)s.gdtr.base, s.gdtr.limit);
    out.append("IDT=     %016llx %08x\n", (unsigned long long)s.idtr.base, s.idtr.limit);
    out.append("CR0=%08llx CR2=%016llx CR3=%016llx CR4=%08llx\n", (unsigned long long)s.cr0, (unsigned long long)s.cr2,
        (unsigned long long)s.cr3, (unsigned long long)s.cr4);
    out.append("EFER=%016llx KERNEL_GS_BASE=%016llx\n", (unsigned long long)s.efer, (unsigned long long)s.kernel_gs_base);
}

void X86Arch::disassemble(const u8* code, usize length, u64 pc, u32 mode, StringBuilder& out) const
{
    ZydisFormatter formatter;
    ZydisFormatterInit(&formatter, ZYDIS_FORMATTER_STYLE_INTEL);
    ZydisDecodedInstruction insn;
    ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
    usize offset = 0;
    while (offset < length) {
        if (!ZYAN_SUCCESS(ZydisDecoderDecodeFull(&m_translator.decoder(mode), code + offset, length - offset, &insn, ops))) {
            out.append("0x%016llx:  (bad)\n", (unsigned long long)(pc + offset));
            break;
        }
        char text[128];
        ZydisFormatterFormatInstruction(&formatter, &insn, ops, insn.operand_count_visible, text, sizeof(text), pc + offset, nullptr);
        out.append("0x%016llx:  %s\n", (unsigned long long)(pc + offset), text);
        offset += insn.length;
    }
}

} // namespace keel::x86
