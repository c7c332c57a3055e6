#pragma once
// The engine: owns the guest's CPU context, memory, I/O bus and translation cache, and
// runs the dispatch loop (look up or translate a block, run it, handle why it stopped).
#include "dbt/base/result.h"
#include "dbt/cache/block_cache.h"
#include "dbt/engine/io_bus.h"
#include "dbt/engine/timer_queue.h"
#include "dbt/ir/block.h"
#include "dbt/ir/passes/passes.h"
#include "dbt/mmu/mmu.h"
#include "dbt/plugin/arch.h"
#include "dbt/plugin/arch_services.h"
#include "dbt/plugin/device.h"
#include "dbt/runtime/host_services.h"
#include "dbt/runtime/run_context.h"
#include "dbt/runtime/runtime_hooks.h"

namespace keel {

class StringBuilder;

namespace x64 {
class Backend;
}

struct EngineConfig {
    u64 ram_size = 256 * MiB;
    // A range of guest-physical addresses inside RAM that is not RAM, left for devices
    // (a PC's VGA window and BIOS area, 0xA0000-0xFFFFF); empty by default.
    u64 ram_hole_start = 0, ram_hole_end = 0;
    // RAM at and above this address would cover the devices below 4 GiB (a PC's PCI hole:
    // the IOAPIC, the LAPIC, the flash): what does not fit below goes at ram_high_base.
    u64 ram_low_limit = ~0ull;
    u64 ram_high_base = 4 * GiB;
    u32 max_block_instructions = 64;
    // Blocks continue past forward conditional branches, leaving through side exits
    // (docs/ir.md#side-exits); off, every conditional branch ends its block. Off by
    // default: on Linux's boot it translates some 16% more guest instructions for about 3%
    // faster execution, no net gain until only hot code is retranslated this way.
    bool side_exits = false;
    bool verify_ir = false;  // run the IR verifier after every pass
    bool optimize = true;
    // Deterministic virtual time (QEMU's -icount shift=N): when >= 0, guest time advances
    // 2^icount_shift ns per guest instruction executed and jumps to the next timer while
    // the guest halts, so runs repeat exactly; when < 0 it follows the host's clock.
    int icount_shift = -1;
};

// How a run ended.
struct RunResult {
    enum class Kind {
        Shutdown,      // a device ended the run (debug exit); exit_code is the status
        TripleFault,   // the guest shut the CPU down
        HaltedForever, // HLT with nothing that could wake the CPU
        Unsupported,   // the guest needs something keel cannot do yet; message says what
        Stopped,       // RunOptions asked to stop (halt, request_stop())
        GuestException, // RunOptions::stop_on_exception: an exception is pending, undelivered
    };
    Kind kind;
    int exit_code;
    char message[160];
};

struct EngineStats {
    u64 dispatches = 0;
    u64 translations = 0;
    u64 guest_instructions_translated = 0;
    u64 guest_bytes_translated = 0;
    u64 host_code_bytes = 0;
    u64 loop_blocks = 0; // translated blocks that loop on themselves with guest state in host registers
    // Why generated code returned to the dispatcher, by RunExit (dbt/runtime/run_context.h).
    static constexpr u32 exit_kinds = 6;
    u64 exits[exit_kinds] = {};
    // Host timestamp ticks spent per translation phase (decode + lower, optimization
    // passes, code emission, cache insertion).
    enum Phase { Frontend, Passes, Backend, Cache, PhaseCount };
    u64 phase_ticks[PhaseCount] = {};
    // Where a run's host time went, besides running translated code, helpers, devices and
    // the dispatcher: translating blocks, and sleeping while the guest halted.
    u64 translate_ns = 0;
    u64 halted_ns = 0;
    // External interrupts the CPU took, by vector (what an interrupt controller answered
    // at the acknowledge): the monitor's `info irq`.
    u64 interrupts_by_vector[256] = {};
};

// Where `wall_ns` of host time went, on one line: translating (with the blocks and guest
// instructions translated), halted, and the rest (translated code, helpers, devices, the
// dispatcher). The keel command's -stats, the kernel's guest summary, `info blocks`.
void describe_time_split(const EngineStats& stats, u64 wall_ns, StringBuilder& out);

// The engine is also what the architecture plugin reaches through CpuContext::services
// (ArchServices): it owns everything those services touch.
class Engine final : public ArchServices {
public:
    static Result<Engine*> create(HostServices& host, Arch& arch, const EngineConfig& config);
    ~Engine();

    CpuContext& context() { return m_run->cpu; }
    RunContext& run_context() { return *m_run; }
    PhysicalMemory& memory() { return m_memory; }
    // PhysicalMemory::move_mmio, then every TLB entry goes: any may map a page the window
    // left (now RAM or nothing again) or now covers.
    Result<void> move_mmio_window(MmioHandler* handler, u64 old_base, u64 new_base);
    // PhysicalMemory::rebind, then the TLBs flushed (they may map the old backing).
    Result<void> rebind_memory(u64 base, RegionKind kind, u8* host);
    Mmu& mmu() { return *m_mmu; }
    IoBus& io() { return m_io; }
    BlockCache& blocks() { return *m_blocks; }
    Arch& arch() { return m_arch; }
    HostServices& host() { return m_host; }
    u8* ram() { return m_ram; }
    const EngineStats& stats() const { return m_stats; }
    // The run's counters on one line (dispatches, TLB fills and flushes, jump-cache clears,
    // chained links, host code bytes): the keel command's -stats, docs/benchmarks.md.
    void describe_counters(StringBuilder& out);
    x64::Backend& backend() { return *m_backend; }

    // The virtual clock devices arm timers on. It follows the host's monotonic time from
    // the engine's creation (real-time mode); timers fire in the dispatcher, which the host
    // tick (HostServices::set_tick_flag) brings running code back to about every ms.
    TimerQueue& clock() { return m_clock; }
    // Guest instructions executed (counted only with deterministic time).
    u64 instructions_executed() const { return m_instructions_executed; }
    // Interrupt controllers the CPU acknowledges (PIC, LAPIC), polled in this order.
    void add_interrupt_controller(InterruptController* controller) { m_interrupt_controllers.append(controller); }
    // The CPU's interrupt input (machine descriptions' irq=cpu:0): a rising level makes
    // running code return to the dispatcher, which then asks the controllers.
    InterruptSink& cpu_interrupt_pin() { return m_cpu_pin; }

    // Reads guest memory for the monitor and debuggers: RAM and ROM only (never MMIO, whose
    // reads have effects), through the guest's page tables unless `physical`, raising no
    // guest exception. False when the address is not readable that way.
    bool debug_read(u64 address, unsigned size, bool physical, u64& value);

    // The host's way in while the guest runs (the monitor): request_service() may be
    // called from another thread or an interrupt handler; the hook then runs in the
    // dispatcher, between blocks, with the guest stopped.
    void set_service_hook(void (*hook)(void* context), void* context)
    {
        m_service_hook = hook;
        m_service_context = context;
    }
    // The host has input that may arrive at any time (a terminal feeding the guest's UART):
    // a guest halted with interrupts enabled then waits for it even with no timer armed.
    void set_host_input(bool live) { m_host_input = live; }
    void request_service()
    {
        m_service_requested = true;
        m_run->cpu.hot.exit_request = 1;
    }

    struct RunOptions {
        bool stop_on_halt = false;      // HLT ends the run (Kind::Stopped)
        bool stop_on_exception = false; // a raised exception ends the run undelivered (tests)
    };
    // Runs the guest until it shuts down, triple-faults, halts for good, or needs
    // something unsupported (or until what RunOptions asks for).
    RunResult run(const RunOptions& options);
    RunResult run() { return run(RunOptions {}); }
    // Ends run() at the next block boundary (Kind::Stopped); async-signal-safe.
    void request_stop()
    {
        m_stop_requested = true;
        m_run->cpu.hot.exit_request = 1;
    }

    // Devices end the run (debug exit) with a process exit status.
    void request_shutdown(int exit_code);
    // Makes running code return to the dispatcher at the next block boundary.
    void request_exit() { m_run->cpu.hot.exit_request = 1; }

    // Model-specific registers a device implements (x86: the local APIC's), consulted by
    // the architecture through ArchServices::device_msr_read/write.
    void add_msr_handler(MsrHandler* handler) { m_msr_handlers.append(handler); }

    // ArchServices: what the architecture plugin asks of the engine.
    bool read_virtual(CpuContext& ctx, u64 vaddr, unsigned size, u32 mmu_index, u64& value, u32 flags) override;
    bool write_virtual(CpuContext& ctx, u64 vaddr, u64 value, unsigned size, u32 mmu_index, u32 flags) override;
    u8* host_span(CpuContext& ctx, u64 vaddr, u64 length, Access access, u32 mmu_index, u32 flags, bool& faulted) override
    {
        return m_mmu->host_span(ctx, vaddr, length, access, mmu_index, flags, faulted);
    }
    bool translate_code(CpuContext& ctx, u64 vaddr, u32 mmu_index, u64& physical) override;
    u64 read_physical(u64 address, unsigned size) override { return m_memory.read(address, size); }
    void write_physical(u64 address, u64 value, unsigned size) override { m_memory.write(address, value, size); }
    Result<void> write_physical_bytes(u64 address, const void* data, u64 length) override;
    u64 ram_size() const override { return m_config.ram_size; }
    u64 ram_below_4g() const override { return m_ram_low; }
    void flush_tlb() override;
    void flush_tlb_non_global() override;
    // Whether every page of the block is mapped by a global translation (so its lookup-
    // cache entry survives flush_tlb_non_global).
    bool block_is_on_global_pages(const TranslatedBlock* block);
    void flush_tlb_page(u64 vaddr) override;
    void mode_changed() override;
    // A device access first brings the virtual clock up to the host's time (timers due by
    // then fire first), so a device polled in a loop that never returns to the dispatcher
    // (Linux's PIT and PM-timer TSC calibration) sees time move as the TSC does.
    u32 port_read(u16 port, unsigned size) override
    {
        before_device_access();
        return m_io.read(port, size);
    }
    void port_write(u16 port, u32 value, unsigned size) override
    {
        before_device_access();
        m_io.write(port, value, size);
    }
    // With -icount, the virtual clock; otherwise the host's time now, which the virtual
    // clock catches up with at its next advance (so a guest polling the TSC sees it move
    // inside a block that never returns to the dispatcher).
    void before_device_access()
    {
        if (!deterministic_time())
            advance_clock();
    }
    u64 clock_ns() override
    {
        if (deterministic_time())
            return m_clock.now_ns();
        u64 live = m_host.monotonic_ns() - m_clock_origin_ns;
        return live > m_clock.now_ns() ? live : m_clock.now_ns();
    }
    bool deterministic_time() const override { return m_config.icount_shift >= 0; }
    bool interrupt_may_be_pending() override;
    MsrAccess device_msr_read(u32 index, u64& value) override;
    MsrAccess device_msr_write(u32 index, u64 value) override;
    // Drops every translation (e.g. tests; a full cache does this itself).
    void flush_translations();

    // Translates the block at `pc` in the current mode without running it (benchmarks,
    // tests). Returns null if the code cannot be fetched. last_ir() is its IR.
    const TranslatedBlock* translate_only(u64 pc);
    const ir::Block& last_ir() const { return m_ir; }

private:
    Engine(HostServices& host, Arch& arch, const EngineConfig& config);
    Result<void> initialize();
    static ir::HelperResult hook_load(CpuContext* ctx, u64 vaddr, u64 info);
    static ir::HelperResult hook_store(CpuContext* ctx, u64 vaddr, u64 value, u64 info);
    static ir::HelperResult hook_store_pointer(CpuContext* ctx, u64 vaddr, u64 info);
    static void hook_raise_exception(CpuContext* ctx, u8 vector, bool has_error, u32 error);
    static void hook_raise_divide_error(CpuContext* ctx);
    // Finds the block for the current pc, translating it if needed; null when fetching
    // the code raised a guest exception.
    TranslatedBlock* find_or_translate(bool single_step);
    TranslatedBlock* translate(u64 pc, u64 linear_pc, u64 physical_pc, bool single_step);
    bool block_mapping_holds(const TranslatedBlock* block, u64 linear_pc);
    // Chains a new block's direct exits to the blocks already translated for their targets.
    void chain_to_existing_blocks(TranslatedBlock* block);
    void log_block(const ir::Block& block, const char* stage);
    RunResult run_loop(const RunOptions& options);
    void advance_clock();
    // Deterministic time: the instructions the guest may run before the next timer is due.
    i64 icount_budget() const;
    // Raises an external interrupt if the guest can take one and a controller has one.
    bool take_interrupt();
    // An interrupt waits for the one instruction in an interrupt shadow: run it alone.
    bool interrupt_waits_behind_shadow();

    class CpuPin final : public InterruptSink {
    public:
        explicit CpuPin(Engine& engine) : m_engine(engine) {}
        void set_irq_level(u32, bool level) override
        {
            if (level)
                m_engine.request_exit();
        }

    private:
        Engine& m_engine;
    };

    HostServices& m_host;
    Arch& m_arch;
    EngineConfig m_config;
    RunContext* m_run = nullptr;
    RuntimeHooks m_hooks {};
    u8* m_ram = nullptr;
    u64 m_ram_low = 0; // bytes of RAM mapped from address 0 (the rest at ram_high_base)
    PhysicalMemory m_memory;
    IoBus m_io;
    BlockCache* m_blocks = nullptr;
    Mmu* m_mmu = nullptr;
    x64::Backend* m_backend = nullptr;
    ir::Block m_ir;
    EngineStats m_stats;
    bool m_shutdown = false;
    volatile bool m_stop_requested = false;
    int m_exit_code = 0;
    void (*m_service_hook)(void*) = nullptr;
    void* m_service_context = nullptr;
    volatile bool m_service_requested = false;
    bool m_host_input = false;
    TimerQueue m_clock;
    u64 m_clock_origin_ns = 0;
    u64 m_instructions_executed = 0;
    u64 m_virtual_ns = 0; // deterministic time: guest time now
    Vector<InterruptController*> m_interrupt_controllers;
    Vector<MsrHandler*> m_msr_handlers;
    CpuPin m_cpu_pin { *this };
};

} // namespace keel
