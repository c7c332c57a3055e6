#pragma once
// One soft-TLB check for several accesses through the same base address
// (docs/backend.md#shared-page-checks).
//
// A push sequence, the pops before a RET, the fields of one structure: consecutive accesses
// whose addresses derive from one value by adding constants usually fall in one guest page.
// The first of them (the leader) does the full TLB check and leaves the page in a reserved
// register V and its host address delta in a reserved register T; each later one (a
// follower) only checks, in four instructions and without touching the TLB, that it lies
// entirely in page V (`addr - V <= 4096 - size`, unsigned), then accesses [addr + T]. A
// follower outside the page takes its own cold path (the MMU slow path) and leaves V and
// T as they were; a leader that misses sets V to a non-canonical value no access can be
// within a page of, so its followers take their cold paths too. The check is what makes a
// follower correct, whatever its address: the base only predicts that it passes.
//
// Nothing inside a block invalidates a translation the TLB held when the leader checked,
// except a helper call (INVLPG, MOV CR3, a mode change): after one the next access is a
// leader again. A write's translation serves reads too; a write after a read-only leader
// is a leader (with write permission) itself, unless the read leader already asked for it
// because it saw the write coming (WriteLeader).
//
// In a block that loops on itself with its state in registers (loop_registers.h) and
// calls nothing, V and T also carry from one iteration to the next: the first leader is a
// loop leader, which checks first whether its access lies in page V, as a follower does,
// and only when it does not refills V and T with the full TLB check (in its cold path,
// before the slow path). The block's entry sets V to none. An iteration's last leader
// covers its first one (a write leader only ever follows a read one), so the page V holds
// at the back edge allows the first leader's access. A single access per iteration is then
// enough to share: the TLB lookup leaves the loop's critical path. When the loop also
// writes through the base, the loop leader checks for writing, even a read: one full check
// per run of the loop instead of one per iteration for the first write.
#include "dbt/backend/x64/host_reg.h"
#include "dbt/base/vector.h"
#include "dbt/ir/block.h"

namespace keel::x64 {

// LoopWriteLeader: a loop leader that refills V with the write permission (the loop also
// writes through the base), so that every other access through it follows. WriteLeader: a
// read leader that checks for the write permission because a write through the base comes
// later in the block (a read-modify-write such as `add [rdi], rax`), which then follows.
enum class PageRole : u8 { Own, Leader, Follower, LoopLeader, LoopWriteLeader, WriteLeader };

// Up to two bases share checks in one block, each with its own pair of reserved registers
// (V, T): a loop that streams through one buffer while it reads a table or writes another
// (a CRC over a buffer, a copy) checks neither per iteration. Callee- or caller-saved does
// not matter (a call makes the next access a leader), but never RCX/RDX (fixed operands),
// RAX (the check's scratch) or the loop-slot registers. The second pair costs two more
// registers, so outside a loop it goes only to a base that saves at least two checks.
struct SharedPagePair {
    HostReg page;   // V: the checked page, or shared_page_none
    HostReg addend; // T: its host address delta
};
constexpr u32 shared_pair_count = 2;
constexpr SharedPagePair shared_pairs[shared_pair_count] = { { R10, R11 }, { R8, R9 } };
// Non-canonical, far (2^47) from every canonical address: `addr - V` is never small.
constexpr u64 shared_page_none = 0x8000000000000000ull;

// An access's entry in the roles: its PageRole and, for a shared one, which pair it uses.
inline u8 page_role_entry(PageRole role, u32 pair) { return static_cast<u8>(static_cast<u8>(role) | pair << 4); }
inline PageRole page_role(u8 entry) { return static_cast<PageRole>(entry & 0x0F); }
inline u32 page_pair_index(u8 entry) { return entry >> 4; }
inline const SharedPagePair& page_pair(u8 entry) { return shared_pairs[page_pair_index(entry)]; }

// Which pairs a block uses (bit p: shared_pairs[p] is reserved) and which of them carry
// their page across a loop's back edge (their V starts as shared_page_none at the entry).
struct SharedPagePlan {
    u8 pairs = 0;
    u8 loop_pairs = 0;
    explicit operator bool() const { return pairs != 0; }
};

// Gives each Load, Store and HostPointer of `block` its role entry (indexed by
// instruction; Own for the rest). `loop`: the block loops on itself keeping registers
// (the back edge skips its entry). `roots` is scratch.
SharedPagePlan plan_shared_page_checks(const ir::Block& block, bool loop, Vector<u8>& roles, Vector<u32>& roots);

} // namespace keel::x64
