#pragma once
// One emitter per IR opcode. The primary template is deleted, so the dispatch table that
// emit_block.cpp builds from opcodes.inc does not compile until every opcode has a
// declared emitter below (a declared but undefined one fails at link time).
#include "dbt/backend/x64/emit_context.h"
#include "dbt/ir/opcode.h"

namespace keel::x64 {

template<ir::Opcode op>
void emit(EmitContext&) = delete;

// The soft-TLB hit check (emit_memory.cpp): leaves, in `delta`, the host address delta
// (TlbEntry::addend) for `addr` when the TLB hits, and in `page` the access's page;
// otherwise jumps to a cold path. Returns the rel32 site of that jump. `page` and `delta`
// are one register unless a leader keeps the page for its followers (shared_page_check.h).
u8* emit_tlb_check(CodeBuffer& c, u32 mmu_index, u8 addr, u8 page, u8 delta, unsigned size, bool write);

#define KEEL_DECLARE_EMITTER(name) template<> void emit<ir::Opcode::name>(EmitContext&);

// emit_meta.cpp
KEEL_DECLARE_EMITTER(Identity)
KEEL_DECLARE_EMITTER(Deleted)
KEEL_DECLARE_EMITTER(FlagsOf)
KEEL_DECLARE_EMITTER(SecondOf)
// emit_state.cpp
KEEL_DECLARE_EMITTER(LoadState)
KEEL_DECLARE_EMITTER(StoreState)
KEEL_DECLARE_EMITTER(LoadFlags)
KEEL_DECLARE_EMITTER(StoreFlags)
// emit_memory.cpp
KEEL_DECLARE_EMITTER(Load)
KEEL_DECLARE_EMITTER(Store)
// emit_alu.cpp
KEEL_DECLARE_EMITTER(Add)
KEEL_DECLARE_EMITTER(Sub)
KEEL_DECLARE_EMITTER(Adc)
KEEL_DECLARE_EMITTER(Sbb)
KEEL_DECLARE_EMITTER(And)
KEEL_DECLARE_EMITTER(Or)
KEEL_DECLARE_EMITTER(Xor)
KEEL_DECLARE_EMITTER(Inc)
KEEL_DECLARE_EMITTER(Dec)
KEEL_DECLARE_EMITTER(Neg)
KEEL_DECLARE_EMITTER(Not)
KEEL_DECLARE_EMITTER(Mul)
// emit_shift.cpp
KEEL_DECLARE_EMITTER(Shl)
KEEL_DECLARE_EMITTER(Shr)
KEEL_DECLARE_EMITTER(Sar)
KEEL_DECLARE_EMITTER(Rol)
KEEL_DECLARE_EMITTER(Ror)
KEEL_DECLARE_EMITTER(Rcl)
KEEL_DECLARE_EMITTER(Rcr)
KEEL_DECLARE_EMITTER(Shld)
KEEL_DECLARE_EMITTER(Shrd)
// emit_muldiv.cpp
KEEL_DECLARE_EMITTER(UMulWide)
KEEL_DECLARE_EMITTER(SMulWide)
KEEL_DECLARE_EMITTER(UDiv)
KEEL_DECLARE_EMITTER(SDiv)
// emit_bits.cpp
KEEL_DECLARE_EMITTER(Bt)
KEEL_DECLARE_EMITTER(Bts)
KEEL_DECLARE_EMITTER(Btr)
KEEL_DECLARE_EMITTER(Btc)
KEEL_DECLARE_EMITTER(Bsf)
KEEL_DECLARE_EMITTER(Bsr)
KEEL_DECLARE_EMITTER(Tzcnt)
KEEL_DECLARE_EMITTER(Lzcnt)
KEEL_DECLARE_EMITTER(Popcnt)
KEEL_DECLARE_EMITTER(Bswap)
KEEL_DECLARE_EMITTER(Andn)
KEEL_DECLARE_EMITTER(Bextr)
KEEL_DECLARE_EMITTER(Blsi)
KEEL_DECLARE_EMITTER(Blsmsk)
KEEL_DECLARE_EMITTER(Blsr)
// emit_convert.cpp
KEEL_DECLARE_EMITTER(ZeroExtend)
KEEL_DECLARE_EMITTER(SignExtend)
KEEL_DECLARE_EMITTER(Truncate)
KEEL_DECLARE_EMITTER(TestCond)
KEEL_DECLARE_EMITTER(Select)
KEEL_DECLARE_EMITTER(Equal)
KEEL_DECLARE_EMITTER(FlagsToInt)
KEEL_DECLARE_EMITTER(IntToFlags)
// emit_call.cpp
KEEL_DECLARE_EMITTER(CallHelper)
KEEL_DECLARE_EMITTER(HostInsn)
KEEL_DECLARE_EMITTER(HostPointer)
KEEL_DECLARE_EMITTER(TrapIf)
KEEL_DECLARE_EMITTER(ExitIf)

#undef KEEL_DECLARE_EMITTER

} // namespace keel::x64
