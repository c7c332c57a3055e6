// Helpers of the instructions that exist only outside 64-bit mode (lower_legacy.cpp):
// the BCD adjustments, BOUND's range check and INTO (Intel SDM vol. 2, each instruction's
// Operation section).
#include "dbt/ir/flags.h"
#include "plugins/arch/x86/exceptions.h"
#include "plugins/arch/x86/runtime/helpers.h"

namespace keel::x86::helpers {
namespace {

using rflags::AF;
using rflags::CF;
using rflags::PF;
using rflags::SF;
using rflags::ZF;

u64 result_flags(u8 al)
{
    u64 f = 0;
    if (al == 0)
        f |= ZF;
    if (al & 0x80)
        f |= SF;
    if (!(__builtin_popcount(al) & 1))
        f |= PF;
    return f;
}

// (op | imm8 << 8, AX, packed flags) -> AX | packed flags << 16. The flags the SDM leaves
// undefined are cleared (OF always; SF, ZF, PF after AAA/AAS; AF, CF after AAM/AAD).
ir::HelperResult do_bcd_adjust(CpuContext* ctx, u64 op_imm, u64 ax_in, u64 packed)
{
    auto op = static_cast<BcdOp>(op_imm & 0xFF);
    u8 imm = static_cast<u8>(op_imm >> 8);
    u64 in = ir::flag::to_rflags(static_cast<u16>(packed));
    u16 ax = static_cast<u16>(ax_in);
    u8 al = static_cast<u8>(ax), ah = static_cast<u8>(ax >> 8);
    u64 out = 0;
    switch (op) {
    case BcdOp::Daa:
    case BcdOp::Das: {
        bool add = op == BcdOp::Daa;
        u8 old_al = al;
        bool old_cf = in & CF, cf = false;
        if ((al & 0xF) > 9 || (in & AF)) {
            cf = old_cf || (add ? al > 0xF9 : al < 6);
            al = static_cast<u8>(add ? al + 6 : al - 6);
            out |= AF;
        }
        if (old_al > 0x99 || old_cf) {
            al = static_cast<u8>(add ? al + 0x60 : al - 0x60);
            cf = true;
        }
        out |= (cf ? CF : 0) | result_flags(al);
        ax = static_cast<u16>((ah << 8) | al);
        break;
    }
    case BcdOp::Aaa:
    case BcdOp::Aas:
        if ((al & 0xF) > 9 || (in & AF)) {
            if (op == BcdOp::Aaa) {
                ax = static_cast<u16>(ax + 0x106);
            } else {
                ax = static_cast<u16>(ax - 6);
                ax = static_cast<u16>(ax - 0x100);
            }
            out |= AF | CF;
        }
        ax &= 0xFF0F;
        break;
    case BcdOp::Aam:
        if (imm == 0)
            return raise_fault(*ctx, vector::DE), ir::helper_exit();
        ah = static_cast<u8>(al / imm);
        al = static_cast<u8>(al % imm);
        ax = static_cast<u16>((ah << 8) | al);
        out |= result_flags(al);
        break;
    case BcdOp::Aad:
        al = static_cast<u8>(al + ah * imm);
        ax = al;
        out |= result_flags(al);
        break;
    }
    return ir::helper_continue(ax | u64(ir::flag::from_rflags(out)) << 16);
}

// (index, bounds address's lower bound, upper bound) as signed values of the operand size,
// sign-extended: #BR when the index lies outside [lower, upper] (BOUND).
ir::HelperResult do_bound(CpuContext* ctx, u64 index, u64 lower, u64 upper)
{
    i64 i = static_cast<i64>(index), lo = static_cast<i64>(lower), hi = static_cast<i64>(upper);
    if (i < lo || i > hi)
        return raise_fault(*ctx, vector::BR), ir::helper_exit();
    return ir::helper_continue();
}

// (next eip, OF): #OF as a software interrupt (the gate's DPL checked) when OF is set.
ir::HelperResult do_into(CpuContext* ctx, u64 next_eip, u64 of, u64)
{
    if (!of)
        return ir::helper_continue();
    raise_software_interrupt(*ctx, vector::OF, next_eip);
    return ir::helper_exit();
}

} // namespace

const ir::Helper bcd_adjust { "bcd_adjust", do_bcd_adjust };
const ir::Helper bound { "bound", do_bound };
const ir::Helper into { "into", do_into };

} // namespace keel::x86::helpers
