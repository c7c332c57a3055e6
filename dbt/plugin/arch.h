#pragma once
// What the engine needs from a guest architecture. The x86 implementation lives in
// plugins/arch/x86; the engine never includes it (includes point one way:
// docs/architecture.md#layers).
#include "dbt/base/result.h"
#include "dbt/base/string_builder.h"
#include "dbt/ir/builder.h"
#include "dbt/ir/printer.h"
#include "dbt/plugin/arch_services.h"
#include "dbt/plugin/cpu_context.h"
#include "dbt/plugin/page_translator.h"

namespace keel {

// Reads guest code for the frontend. It stops at the first byte that cannot be fetched
// (unmapped or non-executable page) and remembers which physical pages it read.
class CodeFetcher {
public:
    virtual ~CodeFetcher() = default;
    // Copies up to `length` bytes at guest virtual `vaddr`; returns how many were readable.
    virtual usize fetch(u64 vaddr, u8* out, usize length) = 0;
};

struct TranslationRequest {
    u64 pc;                // guest pc of the first instruction (x86: RIP)
    u64 linear_pc;         // its linear address (pc + code base)
    u32 mode;              // mode bits the block is translated for
    u32 max_instructions;  // cap on guest instructions (1 for an SMC restart)
    CodeFetcher* fetcher;
    // The block may continue past conditional branches (IR ExitIf). Off when the engine
    // needs one block per straight-line run: single steps, instruction counting
    // (-icount charges a block's whole count at its entry).
    bool side_exits;
    // Host instructions may write guest memory through a HostPointer (plain RAM found in
    // the TLB). Off for a one-instruction block that runs such an instruction again after
    // its store found no plain RAM (docs/sse.md).
    bool direct_stores = true;
};

// What delivering a pending exception or interrupt came to.
enum class DeliveryResult {
    Delivered,
    NothingPending,
    Shutdown,    // triple fault
    Unsupported, // the event is legal but keel cannot deliver it in this mode yet: ends the run
};

class Arch : public PageTranslator {
public:
    ~Arch() override = default;
    virtual const char* name() const = 0;

    // Resets the guest CPU (architectural reset state) and refreshes ctx.hot.mode/code_base.
    virtual void reset(CpuContext& ctx) = 0;
    // MMU index used for instruction fetch in `mode` (e.g. user vs. supervisor).
    virtual u32 fetch_mmu_index(u32 mode) const = 0;

    // Decodes and lowers one guest block. Never fails: what it cannot decode or lower
    // becomes a guest exception in the IR. Returns false only when `mode` is one the
    // frontend cannot translate at all (the engine stops with a message).
    virtual bool translate_block(const TranslationRequest& request, ir::Builder& builder) = 0;

    // Exceptions and interrupts.
    virtual bool has_pending_event(const CpuContext& ctx) const = 0;
    virtual DeliveryResult deliver_pending_event(CpuContext& ctx) = 0;
    virtual bool can_wake_from_halt(const CpuContext& ctx) const = 0;
    // Whether a maskable external interrupt may be delivered now (x86: IF set and not in an
    // STI/MOV SS shadow), and delivering one (it becomes the pending event).
    virtual bool can_take_interrupt(const CpuContext& ctx) const = 0;
    virtual void raise_external_interrupt(CpuContext& ctx, u8 vector) = 0;
    virtual void raise_divide_error(CpuContext& ctx) = 0;
    // Records exception `vector` at the current pc (IR TrapIf).
    virtual void raise_exception(CpuContext& ctx, u8 vector, bool has_error, u32 error) = 0;

    // Diagnostics.
    virtual void dump_state(const CpuContext& ctx, StringBuilder& out) const = 0;
    // The guest's virtual mappings as its page tables define them: merged into ranges of
    // equal permissions (the monitor's info mem), or one line per page-table leaf with its
    // flags (info tlb), in QEMU's formats.
    enum class MappingView { Ranges, Entries };
    virtual void describe_mappings(const CpuContext& ctx, MappingView view, StringBuilder& out) const
    {
        (void)ctx, (void)view;
        out.append("not available for this architecture\n");
    }
    virtual ir::StateNamer state_namer() const = 0;
    virtual void disassemble(const u8* code, usize length, u64 pc, u32 mode, StringBuilder& out) const = 0;
    // Why the guest cannot run, when translate_block() returned false.
    virtual const char* unsupported_reason(u32 mode) const = 0;
    // The machine's A20 gate (x86: the A20M# input; other architectures have none).
    virtual void set_a20(CpuContext& ctx, bool enabled) { (void)ctx, (void)enabled; }

    // The test-guest entry state (docs/test-guest-entry-state.md): where a loaded image must
    // end (the architecture keeps boot structures above), and entering it at `entry`.
    virtual u64 test_image_limit(u64 ram_size) const { return ram_size; }
    // Boot structures go to guest RAM through ctx.services.
    virtual Result<void> enter_test_state(CpuContext& ctx, u64 entry) = 0;
    // The Linux boot protocol's entry (x86: the 64-bit one, docs/linux.md): the kernel's
    // boot structures are in guest RAM already; `boot_params` is their physical address.
    virtual Result<void> enter_linux_boot(CpuContext& ctx, u64 entry, u64 boot_params)
    {
        (void)ctx, (void)entry, (void)boot_params;
        return Error::formatted("the %s architecture has no Linux boot entry", name());
    }
    // The Linux 32-bit boot protocol's entry (x86: startup_32 in flat protected mode).
    virtual Result<void> enter_linux_boot32(CpuContext& ctx, u64 entry, u64 boot_params)
    {
        (void)ctx, (void)entry, (void)boot_params;
        return Error::formatted("the %s architecture has no 32-bit Linux boot entry", name());
    }
    // The Multiboot machine state (x86: 32-bit protected mode, paging off; docs/multiboot.md):
    // the image and the information structure are in guest RAM already; `gdt` is where
    // the architecture may put the descriptors it loads; `magic` and `info` the values the
    // kernel finds in EAX and EBX.
    virtual Result<void> enter_multiboot(CpuContext& ctx, u64 entry, u64 gdt, u32 magic, u32 info)
    {
        (void)ctx, (void)entry, (void)gdt, (void)magic, (void)info;
        return Error::formatted("the %s architecture has no Multiboot entry", name());
    }
};

} // namespace keel
