#include "dbt/ir/flags.h"

namespace keel::ir {

// Intel SDM vol. 1, appendix B, table B-1 (condition codes).
bool evaluate_cond(Cond cc, u16 f)
{
    bool cf = f & flag::CF, zf = f & flag::ZF, sf = f & flag::SF, of = f & flag::OF, pf = f & flag::PF;
    bool result;
    switch (static_cast<Cond>(static_cast<u8>(cc) & ~1)) {
    case Cond::O: result = of; break;
    case Cond::B: result = cf; break;
    case Cond::E: result = zf; break;
    case Cond::BE: result = cf || zf; break;
    case Cond::S: result = sf; break;
    case Cond::P: result = pf; break;
    case Cond::L: result = sf != of; break;
    default: result = zf || (sf != of); break; // LE
    }
    return (static_cast<u8>(cc) & 1) ? !result : result;
}

const char* cond_name(Cond cc)
{
    static const char* const names[] = { "o", "no", "b", "ae", "e", "ne", "be", "a",
                                         "s", "ns", "p", "np", "l", "ge", "le", "g" };
    return names[static_cast<u8>(cc) & 15];
}

} // namespace keel::ir
