// SYSCALL and SYSRET in IA-32e mode (Intel SDM vol. 2, SYSCALL, SYSRET): the fast system
// call pair x86-64 Linux enters and leaves the kernel with; SYSENTER and SYSEXIT (SDM
// vol. 2, SYSENTER, SYSEXIT), Intel's pair for every protected mode, which 32-bit kernels
// use. The segments they load are not read from the GDT: the instructions load fixed flat
// descriptors whose selectors come from IA32_STAR or IA32_SYSENTER_CS, which the
// operating system keeps in step with its GDT.
#include "dbt/base/log.h"
#include "plugins/arch/x86/exceptions.h"
#include "plugins/arch/x86/mode.h"
#include "plugins/arch/x86/page_walk.h"
#include "plugins/arch/x86/runtime/helpers.h"

namespace keel::x86::helpers {
namespace {

ir::HelperResult fault() { return ir::helper_exit(); }

// Segment attributes (access byte | G D/B L AVL << 8): present, S=1, accessed, G=1.
constexpr u16 code64_kernel = 0xA9B; // execute/read, DPL 0, L=1
constexpr u16 stack_kernel = 0xC93;  // read/write, DPL 0, D/B=1
constexpr u16 code64_user = 0xAFB;   // execute/read, DPL 3, L=1
constexpr u16 code32_user = 0xCFB;   // execute/read, DPL 3, D=1 (compatibility mode)
constexpr u16 stack_user = 0xCF3;    // read/write, DPL 3, D/B=1
constexpr u16 code32_kernel = 0xC9B; // execute/read, DPL 0, D=1

bool syscall_enabled(CpuContext& ctx)
{
    const CpuState& s = state(ctx);
    // #UD outside IA-32e mode (the legacy-mode SYSCALL of AMD is not modelled) and when
    // EFER.SCE is clear.
    return (s.efer & efer::SCE) && (s.efer & efer::LMA);
}

} // namespace

ir::HelperResult do_syscall(CpuContext* ctx, u64 next_rip, u64, u64)
{
    if (!syscall_enabled(*ctx))
        return raise_fault(*ctx, vector::UD), fault();
    CpuState& s = state(*ctx);
    u64 flags = read_rflags(*ctx);
    // From compatibility mode the kernel is entered at IA32_CSTAR instead of IA32_LSTAR.
    u64 target = (ctx->hot.mode & mode::code64) ? s.lstar : s.cstar;
    s.gpr[RCX] = next_rip;
    s.gpr[R11] = flags & ~rflags::RF;
    u16 selector = static_cast<u16>(s.star >> 32) & 0xFFFC;
    s.segment[CS] = Segment { 0, 0xFFFFFFFF, selector, code64_kernel };
    s.segment[SS] = Segment { 0, 0xFFFFFFFF, static_cast<u16>(selector + 8), stack_kernel };
    write_rflags(*ctx, flags & ~(s.sfmask | rflags::RF));
    ctx->hot.pc = target;
    refresh_mode(*ctx);
    return ir::helper_exit();
}

ir::HelperResult do_sysret(CpuContext* ctx, u64 operand_size, u64, u64)
{
    if (!syscall_enabled(*ctx))
        return raise_fault(*ctx, vector::UD), fault();
    CpuState& s = state(*ctx);
    bool to_64bit = operand_size == 8;
    if (current_cpl(*ctx) != 0)
        return raise_fault(*ctx, vector::GP, 0), fault();
    // Intel CPUs fault a non-canonical return address at CPL 0, before anything changes.
    if (to_64bit && !is_canonical(s.gpr[RCX]))
        return raise_fault(*ctx, vector::GP, 0), fault();
    u16 base = static_cast<u16>(s.star >> 48);
    s.segment[CS] = to_64bit ? Segment { 0, 0xFFFFFFFF, static_cast<u16>((base + 16) | 3), code64_user }
                             : Segment { 0, 0xFFFFFFFF, static_cast<u16>(base | 3), code32_user };
    s.segment[SS] = Segment { 0, 0xFFFFFFFF, static_cast<u16>((base + 8) | 3), stack_user };
    // RF and VM cleared, bit 1 set (Intel SDM vol. 2, SYSRET: RFLAGS := (R11 & 3C7FD7H) | 2).
    write_rflags(*ctx, (s.gpr[R11] & 0x3C7FD7) | 2);
    ctx->hot.pc = to_64bit ? s.gpr[RCX] : s.gpr[RCX] & 0xFFFFFFFF;
    refresh_mode(*ctx);
    return ir::helper_exit();
}

// SYSENTER: CPL 0 at IA32_SYSENTER_EIP with the stack at IA32_SYSENTER_ESP; CS from
// IA32_SYSENTER_CS (64-bit code in IA-32e mode, else 32-bit), SS the selector after it;
// VM, IF and RF cleared. #GP(0) in real mode or with a null IA32_SYSENTER_CS.
ir::HelperResult do_sysenter(CpuContext* ctx, u64, u64, u64)
{
    CpuState& s = state(*ctx);
    u16 selector = static_cast<u16>(s.sysenter_cs) & 0xFFFC;
    if (!(s.cr0 & cr0::PE) || selector == 0)
        return raise_fault(*ctx, vector::GP, 0), fault();
    bool long_mode = s.efer & efer::LMA;
    write_rflags(*ctx, read_rflags(*ctx) & ~(rflags::VM | rflags::IF | rflags::RF));
    s.segment[CS] = Segment { 0, 0xFFFFFFFF, selector, long_mode ? code64_kernel : code32_kernel };
    s.segment[SS] = Segment { 0, 0xFFFFFFFF, static_cast<u16>(selector + 8), stack_kernel };
    s.gpr[RSP] = long_mode ? s.sysenter_esp : s.sysenter_esp & 0xFFFFFFFF;
    ctx->hot.pc = long_mode ? s.sysenter_eip : s.sysenter_eip & 0xFFFFFFFF;
    refresh_mode(*ctx);
    return ir::helper_exit();
}

// SYSEXIT: CPL 3 at EDX (RDX with REX.W) with the stack at ECX (RCX); CS is
// IA32_SYSENTER_CS + 16 (32-bit code) or + 32 (64-bit code, REX.W), SS the selector after it.
ir::HelperResult do_sysexit(CpuContext* ctx, u64 operand_size, u64, u64)
{
    CpuState& s = state(*ctx);
    u16 base = static_cast<u16>(s.sysenter_cs) & 0xFFFC;
    if (!(s.cr0 & cr0::PE) || base == 0 || current_cpl(*ctx) != 0)
        return raise_fault(*ctx, vector::GP, 0), fault();
    bool to_64bit = operand_size == 8;
    if (to_64bit && (!is_canonical(s.gpr[RDX]) || !is_canonical(s.gpr[RCX])))
        return raise_fault(*ctx, vector::GP, 0), fault();
    u16 code = static_cast<u16>((base + (to_64bit ? 32 : 16)) | 3);
    s.segment[CS] = Segment { 0, 0xFFFFFFFF, code, to_64bit ? code64_user : code32_user };
    s.segment[SS] = Segment { 0, 0xFFFFFFFF, static_cast<u16>(code + 8), stack_user };
    s.gpr[RSP] = to_64bit ? s.gpr[RCX] : s.gpr[RCX] & 0xFFFFFFFF;
    ctx->hot.pc = to_64bit ? s.gpr[RDX] : s.gpr[RDX] & 0xFFFFFFFF;
    refresh_mode(*ctx);
    return ir::helper_exit();
}

const ir::Helper syscall { "syscall", do_syscall };
const ir::Helper sysenter { "sysenter", do_sysenter };
const ir::Helper sysexit { "sysexit", do_sysexit };
const ir::Helper sysret { "sysret", do_sysret };

} // namespace keel::x86::helpers
