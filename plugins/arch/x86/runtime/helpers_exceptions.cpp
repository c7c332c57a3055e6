// Helpers that raise guest exceptions and software interrupts.
#include "dbt/plugin/arch_services.h"
#include "plugins/arch/x86/exceptions.h"
#include "plugins/arch/x86/mode.h"
#include "plugins/arch/x86/runtime/helpers.h"

namespace keel::x86::helpers {
namespace {

ir::HelperResult do_raise_exception(CpuContext* ctx, u64 vector, u64 has_error, u64 error_code)
{
    if (has_error)
        raise_fault(*ctx, static_cast<u8>(vector), static_cast<u32>(error_code));
    else
        raise_fault(*ctx, static_cast<u8>(vector));
    return ir::helper_exit();
}

ir::HelperResult do_raise_fetch_fault(CpuContext* ctx, u64 address, u64, u64)
{
    // Translating the unfetchable byte records the right #PF (or #GP for a
    // non-canonical address); if it now succeeds, the dispatcher simply tries again.
    u64 physical;
    ctx->services->translate_code(*ctx, address, mmu_index_for_cpl(current_cpl(*ctx)), physical);
    return ir::helper_exit();
}

ir::HelperResult do_software_interrupt(CpuContext* ctx, u64 vector, u64 next_rip, u64 kind)
{
    // kind: bit 0 INT1, bit 1 INT n (CD ib). In virtual-8086 mode INT n with IOPL < 3 is a
    // #GP(0) to the monitor (Intel SDM vol. 2, INT n, without VME); INT3, INTO and INT1 are not.
    bool icebp = kind & 1;
    const CpuState& s = state(*ctx);
    if ((kind & 2) && (s.rflags & rflags::VM) && ((s.rflags >> 12) & 3) != 3)
        return raise_fault(*ctx, vector::GP, 0), ir::helper_exit();
    // INT1 (ICEBP, F1) is a #DB trap, not a software interrupt: no gate-DPL check and EXT
    // set in error codes of faults during its delivery (Intel SDM vol. 3 §6.12.1.1, vol. 2
    // INT n/INTO/INT3/INT1).
    if (icebp)
        state(*ctx).event = PendingEvent { PendingEvent::Kind::Trap, static_cast<u8>(vector), false, 0, next_rip };
    else
        raise_software_interrupt(*ctx, static_cast<u8>(vector), next_rip);
    return ir::helper_exit();
}

} // namespace

const ir::Helper raise_exception { "raise_exception", do_raise_exception };
const ir::Helper raise_fetch_fault { "raise_fetch_fault", do_raise_fetch_fault };
const ir::Helper software_interrupt { "software_interrupt", do_software_interrupt };

} // namespace keel::x86::helpers
