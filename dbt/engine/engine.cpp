#include "dbt/engine/engine.h"
#include "dbt/engine/icount_option.h"
#include "dbt/backend/x64/backend.h"
#include "dbt/base/log.h"
#include "dbt/base/string.h"
#include "dbt/engine/engine_code_fetcher.h"

namespace keel {

Engine::Engine(HostServices& host, Arch& arch, const EngineConfig& config)
    : m_host(host), m_arch(arch), m_config(config)
{
}

Engine::~Engine()
{
    delete m_backend;
    delete m_mmu;
    delete m_blocks;
    if (m_ram)
        m_host.free_zeroed(m_ram, m_config.ram_size);
    if (m_run) {
        m_run->~RunContext();
        ::operator delete(m_run, std::align_val_t(64));
    }
}

Result<Engine*> Engine::create(HostServices& host, Arch& arch, const EngineConfig& config)
{
    if (config.icount_shift > max_icount_shift)
        return Error::formatted("icount shift %d: at most %d", config.icount_shift, max_icount_shift);
    auto* engine = new Engine(host, arch, config);
    auto result = engine->initialize();
    if (result.is_error()) {
        delete engine;
        return result.release_error();
    }
    return engine;
}

Result<void> Engine::initialize()
{
    if (m_config.ram_size == 0 || (m_config.ram_size & (guest_page_size - 1)))
        return Error::formatted("guest RAM size 0x%llx is not a whole number of pages", (unsigned long long)m_config.ram_size);
    m_run = new (::operator new(sizeof(RunContext), std::align_val_t(64))) RunContext();
    m_run->cpu.services = this;
    m_run->owner = this;
    m_hooks = { hook_load, hook_store, hook_store_pointer, hook_raise_exception, hook_raise_divide_error };
    m_run->hooks = &m_hooks;
    m_clock_origin_ns = m_host.monotonic_ns();

    m_ram = m_host.allocate_zeroed(m_config.ram_size);
    if (!m_ram)
        return Error::formatted("cannot allocate %llu MiB of guest RAM", (unsigned long long)(m_config.ram_size / MiB));
    // One host allocation, mapped in up to three pieces: below the legacy hole, from its
    // end up to the low limit, and the rest at ram_high_base (host offset = guest address
    // below the limit, so the hole's bytes are allocated and never mapped).
    m_ram_low = m_config.ram_size < m_config.ram_low_limit ? m_config.ram_size : m_config.ram_low_limit;
    if (m_config.ram_size > m_ram_low && m_ram_low > m_config.ram_high_base)
        return Error::formatted("guest RAM: the low part (0x%llx bytes) reaches the high part's base 0x%llx",
            (unsigned long long)m_ram_low, (unsigned long long)m_config.ram_high_base);
    if (m_config.ram_hole_end > m_config.ram_hole_start && m_config.ram_hole_end < m_ram_low) {
        TRY(m_memory.add_ram(0, m_config.ram_hole_start, m_ram, "ram-low"));
        TRY(m_memory.add_ram(m_config.ram_hole_end, m_ram_low - m_config.ram_hole_end, m_ram + m_config.ram_hole_end, "ram"));
    } else {
        TRY(m_memory.add_ram(0, m_ram_low, m_ram, "ram"));
    }
    if (m_config.ram_size > m_ram_low)
        TRY(m_memory.add_ram(m_config.ram_high_base, m_config.ram_size - m_ram_low, m_ram + m_ram_low, "ram-high"));

    m_backend = TRY(x64::Backend::create(m_host.code_region()));
    m_blocks = new BlockCache(*m_run, *m_backend, &m_host);
    m_mmu = new Mmu(*m_run, m_memory, m_arch, *m_blocks);
    m_blocks->set_code_page_protector(m_mmu);
    m_memory.set_code_pages(m_blocks);
    m_memory.set_before_device_access([](void* engine) { static_cast<Engine*>(engine)->before_device_access(); }, this);
    m_blocks->set_empty_jump_target(m_backend->lookup_miss());
    m_mmu->flush_all(m_run->cpu);
    m_arch.reset(m_run->cpu);
    return {};
}

void Engine::request_shutdown(int exit_code)
{
    m_shutdown = true;
    m_exit_code = exit_code;
    request_exit();
}

void Engine::flush_tlb()
{
    m_mmu->flush_all(m_run->cpu);
    m_blocks->clear_jump_cache();
}

void Engine::flush_tlb_non_global()
{
    m_mmu->flush_non_global(m_run->cpu);
    m_blocks->clear_non_global_jump_targets();
}

void Engine::flush_tlb_page(u64 vaddr)
{
    if (m_mmu->flush_page(m_run->cpu, vaddr))
        m_blocks->clear_jump_cache();
    else
        m_blocks->forget_jump_targets_near(vaddr);
}

Result<void> Engine::move_mmio_window(MmioHandler* handler, u64 old_base, u64 new_base)
{
    TRY(m_memory.move_mmio(handler, old_base, new_base));
    flush_tlb();
    return {};
}

Result<void> Engine::rebind_memory(u64 base, RegionKind kind, u8* host)
{
    TRY(m_memory.rebind(base, kind, host));
    flush_tlb();
    return {};
}

void Engine::mode_changed() { m_blocks->clear_jump_cache(); }

bool Engine::read_virtual(CpuContext& ctx, u64 vaddr, unsigned size, u32 mmu_index, u64& value, u32 flags)
{
    return m_mmu->read(ctx, vaddr, size, mmu_index, value, flags);
}

bool Engine::write_virtual(CpuContext& ctx, u64 vaddr, u64 value, unsigned size, u32 mmu_index, u32 flags)
{
    return m_mmu->write(ctx, vaddr, value, size, mmu_index, flags);
}

bool Engine::translate_code(CpuContext& ctx, u64 vaddr, u32 mmu_index, u64& physical)
{
    return m_mmu->translate_code(ctx, vaddr, mmu_index, physical);
}

Result<void> Engine::write_physical_bytes(u64 address, const void* data, u64 length)
{
    const MemoryRegion* r = m_memory.find(address);
    if (!r || r->kind != RegionKind::Ram || length > r->end() - address)
        return Error::formatted("guest-physical 0x%llx+0x%llx is not RAM", (unsigned long long)address, (unsigned long long)length);
    return m_memory.write_bytes(address, data, length);
}

MsrAccess Engine::device_msr_read(u32 index, u64& value)
{
    for (MsrHandler* handler : m_msr_handlers) {
        if (MsrAccess a = handler->msr_read(index, value); a != MsrAccess::NotMine)
            return a;
    }
    return MsrAccess::NotMine;
}

MsrAccess Engine::device_msr_write(u32 index, u64 value)
{
    for (MsrHandler* handler : m_msr_handlers) {
        if (MsrAccess a = handler->msr_write(index, value); a != MsrAccess::NotMine)
            return a;
    }
    return MsrAccess::NotMine;
}

// RuntimeHooks: generated code's cold paths reach the engine through the RunContext.
namespace {
Engine& owner(CpuContext* ctx) { return *static_cast<Engine*>(run_context(ctx)->owner); }
} // namespace

ir::HelperResult Engine::hook_load(CpuContext* ctx, u64 vaddr, u64 info) { return owner(ctx).m_mmu->load_slow(*ctx, vaddr, info); }

ir::HelperResult Engine::hook_store(CpuContext* ctx, u64 vaddr, u64 value, u64 info)
{
    return owner(ctx).m_mmu->store_slow(*ctx, vaddr, value, info);
}

ir::HelperResult Engine::hook_store_pointer(CpuContext* ctx, u64 vaddr, u64 info)
{
    return owner(ctx).m_mmu->store_pointer(*ctx, vaddr, info);
}

void Engine::hook_raise_exception(CpuContext* ctx, u8 vector, bool has_error, u32 error)
{
    owner(ctx).m_arch.raise_exception(*ctx, vector, has_error, error);
}

void Engine::hook_raise_divide_error(CpuContext* ctx) { owner(ctx).m_arch.raise_divide_error(*ctx); }

void Engine::flush_translations()
{
    m_blocks->flush();
    m_backend->flush();
}

bool Engine::block_mapping_holds(const TranslatedBlock* block, u64 linear_pc)
{
    if (block->page_count < 2)
        return true;
    // A block that runs into a second page is only valid while that page maps to the
    // same physical page as when it was translated.
    Translation t;
    u64 second = (linear_pc & guest_page_mask) + guest_page_size;
    u32 mmu_index = m_arch.fetch_mmu_index(block->mode);
    return m_arch.translate(m_run->cpu, second, Access::Execute, mmu_index, access_flag::probe, t) && t.physical_page == block->physical_pages[1];
}

bool Engine::block_is_on_global_pages(const TranslatedBlock* block)
{
    // The first page was just translated for the fetch (find_or_translate); a second one
    // takes a probing walk.
    u32 mmu_index = m_arch.fetch_mmu_index(block->mode);
    if (!m_mmu->holds_global_translation(block->linear_pc, mmu_index))
        return false;
    if (block->page_count < 2)
        return true;
    Translation t;
    u64 second = (block->linear_pc & guest_page_mask) + guest_page_size;
    return m_arch.translate(m_run->cpu, second, Access::Execute, mmu_index, access_flag::probe, t) && t.global;
}

void Engine::log_block(const ir::Block& block, const char* stage)
{
    StringBuilder out;
    out.append("%s:\n", stage);
    ir::print_block(out, block, m_arch.state_namer());
    log::write(out.c_str(), out.length());
}

namespace {
// Host timestamp counter: cheap enough to time every translation's phases.
inline u64 ticks()
{
    u32 lo, hi;
    asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return u64(hi) << 32 | lo;
}
} // namespace

TranslatedBlock* Engine::translate(u64 pc, u64 linear_pc, u64 physical_pc, bool single_step)
{
    u64 t0 = ticks();
    u32 mode = m_run->cpu.hot.mode;
    EngineCodeFetcher fetcher(*this, m_run->cpu, m_arch.fetch_mmu_index(mode));
    m_ir.clear();
    m_ir.pc = pc;
    m_ir.mode = mode;
    ir::Builder builder(m_ir);
    TranslationRequest request { pc, linear_pc, mode, single_step ? 1u : m_config.max_block_instructions, &fetcher,
        !single_step && !deterministic_time() && m_config.side_exits, !single_step };
    if (!m_arch.translate_block(request, builder))
        return nullptr;
    u64 t1 = ticks();
    m_stats.phase_ticks[EngineStats::Frontend] += t1 - t0;

    if (log::enabled(log::InAsm)) {
        StringBuilder out;
        out.append("IN: 0x%llx\n", (unsigned long long)pc);
        u8 bytes[4096];
        usize n = fetcher.copy_fetched(bytes, sizeof(bytes));
        m_arch.disassemble(bytes, n < m_ir.guest_size() ? n : m_ir.guest_size(), pc, mode, out);
        log::write(out.c_str(), out.length());
    }
    if (log::enabled(log::Op))
        log_block(m_ir, "OP");
    ir::optimize(m_ir, { m_config.verify_ir, m_config.optimize });
    u64 t2 = ticks();
    m_stats.phase_ticks[EngineStats::Passes] += t2 - t1;
    if (log::enabled(log::OpOpt))
        log_block(m_ir, "OP after optimization");

    for (int attempt = 0; attempt < 2; ++attempt) {
        TranslatedBlock* tb = m_blocks->allocate();
        if (!tb) {
            // No memory for another descriptor (the UEFI kernel's demand-paged ranges are
            // few): start the cache over, as when the code does not fit.
            KEEL_LOG(Cache, "cache: no memory for block descriptors, flushing\n");
            flush_translations();
            continue;
        }
        tb->pc = pc;
        tb->linear_pc = linear_pc;
        tb->physical_pc = physical_pc;
        tb->mode = mode;
        tb->guest_size = static_cast<u32>(m_ir.guest_size());
        tb->guest_insn_count = static_cast<u32>(m_ir.guest_insns.size());
        tb->page_count = fetcher.page_count();
        for (u8 i = 0; i < tb->page_count; ++i)
            tb->physical_pages[i] = fetcher.physical_page(i);
        if (tb->page_count == 0) {
            tb->page_count = 1;
            tb->physical_pages[0] = physical_pc & guest_page_mask;
        }
        // Not found again: a block over bytes keel does not track, and one shaped by a page
        // it could not fetch (the raise_fetch_fault block would otherwise be found forever
        // once the guest maps that page: QEMU's tests/tcg noexec).
        tb->findable = !single_step && !fetcher.read_outside_ram() && !fetcher.fetch_failed();
        x64::CompileOptions options { !log::enabled(log::NoChain), deterministic_time() };
        u64 t3 = ticks();
        if (m_backend->compile(m_ir, *tb, options) == x64::CompileStatus::Ok) {
            u64 t4 = ticks();
            m_stats.phase_ticks[EngineStats::Backend] += t4 - t3;
            m_blocks->trim(tb);
            m_blocks->insert(tb);
            m_stats.phase_ticks[EngineStats::Cache] += ticks() - t4;
            ++m_stats.translations;
            m_stats.guest_instructions_translated += tb->guest_insn_count;
            m_stats.guest_bytes_translated += tb->guest_size;
            m_stats.host_code_bytes += tb->code_size;
            m_stats.loop_blocks += tb->loop_slots != 0;
            m_host.block_translated(tb->pc, tb->code, tb->code_size);
            if (log::enabled(log::OutAsm)) {
                StringBuilder out;
                out.append("OUT: [size=%u]\n", tb->code_size);
                m_backend->disassemble(tb->code, tb->code_size, out);
                log::write(out.c_str(), out.length());
            }
            return tb;
        }
        // The translation cache is full: start it over (QEMU's tb_flush) and retry once.
        KEEL_LOG(Cache, "cache: translation cache full (%zu bytes used), flushing\n", m_backend->used_bytes());
        flush_translations();
    }
    PANIC("a single block does not fit in an empty translation cache (or the host has no memory for one descriptor)");
}

const TranslatedBlock* Engine::translate_only(u64 pc)
{
    u64 linear = pc + m_run->cpu.hot.code_base;
    Translation t;
    if (!m_arch.translate(m_run->cpu, linear, Access::Execute, m_arch.fetch_mmu_index(m_run->cpu.hot.mode), access_flag::probe, t))
        return nullptr;
    return translate(pc, linear, t.physical_page | (linear & ~guest_page_mask), false);
}

TranslatedBlock* Engine::find_or_translate(bool single_step)
{
    u64 pc = m_run->cpu.hot.pc;
    u64 linear = pc + m_run->cpu.hot.code_base;
    u32 mode = m_run->cpu.hot.mode;
    u64 physical;
    if (!m_mmu->translate_code(m_run->cpu, linear, m_arch.fetch_mmu_index(mode), physical))
        return nullptr; // the fetch raised a guest exception
    // Code outside RAM and ROM (a device's MMIO, unassigned space) is translated one
    // instruction at a time and never cached: its bytes are not memory keel tracks.
    if (!m_memory.host_pointer(physical, 1, false))
        single_step = true;
    if (!single_step) {
        TranslatedBlock* tb = m_blocks->lookup(physical, pc, mode);
        if (tb && block_mapping_holds(tb, linear))
            return tb;
        if (tb)
            m_blocks->invalidate(tb);
    }
    u64 started = m_host.monotonic_ns();
    TranslatedBlock* tb = translate(pc, linear, physical, single_step);
    if (tb)
        chain_to_existing_blocks(tb);
    m_stats.translate_ns += m_host.monotonic_ns() - started;
    return tb;
}

// An exit is otherwise chained the first time it is taken, after a return to the
// dispatcher: for one whose target is already translated (a loop's head, the join after an
// if whose other side ran first) that return is avoidable. Chainable exits stay within the
// block's first page (BlockEmitter::exit_jump), so the target's physical address is that
// page's; the lookup and the mapping check are the dispatcher's own.
void Engine::chain_to_existing_blocks(TranslatedBlock* block)
{
    if (!block->findable || log::enabled(log::NoChain))
        return;
    u64 code_base = block->linear_pc - block->pc;
    for (u8 i = 0; i < block->exit_count; ++i) {
        ExitSlot& exit = block->exits[i];
        u64 linear = exit.target_pc + code_base;
        if (exit.linked || (linear & guest_page_mask) != (block->linear_pc & guest_page_mask))
            continue;
        u64 physical = block->physical_pages[0] | (linear & ~guest_page_mask);
        TranslatedBlock* target = m_blocks->lookup(physical, exit.target_pc, block->mode);
        if (target && target->findable && block_mapping_holds(target, linear))
            m_blocks->link(&exit, target);
    }
}

bool Engine::debug_read(u64 address, unsigned size, bool physical, u64& value)
{
    u64 paddr = address;
    if (!physical) {
        // A probing walk: no guest exception (access_flag::probe). It may set accessed bits,
        // as a hardware walk for the same access would.
        Translation t;
        if (!m_arch.translate(m_run->cpu, address, Access::Read, m_arch.fetch_mmu_index(m_run->cpu.hot.mode), access_flag::probe, t))
            return false;
        paddr = t.physical_page | (address & (guest_page_size - 1));
        if ((address & (guest_page_size - 1)) + size > guest_page_size)
            return false; // one unit never straddles pages in the monitor's use
    }
    const u8* p = m_memory.host_pointer(paddr, size, false);
    if (!p)
        return false;
    value = 0;
    copy_memory(&value, p, size);
    return true;
}

void describe_time_split(const EngineStats& s, u64 wall_ns, StringBuilder& out)
{
    auto ms = [](u64 ns) { return static_cast<unsigned long long>(ns / 1000000); };
    auto percent = [&](u64 ns) { return static_cast<unsigned>(wall_ns ? ns * 100 / wall_ns : 0); };
    u64 busy = s.translate_ns + s.halted_ns;
    u64 rest = wall_ns > busy ? wall_ns - busy : 0;
    out.append("%llu ms: translating %llu ms (%u%%; %llu blocks, %llu guest instructions), halted %llu ms (%u%%), "
               "running the rest %llu ms (%u%%)",
        ms(wall_ns), ms(s.translate_ns), percent(s.translate_ns), static_cast<unsigned long long>(s.translations),
        static_cast<unsigned long long>(s.guest_instructions_translated), ms(s.halted_ns), percent(s.halted_ns), ms(rest),
        percent(rest));
}

void Engine::describe_counters(StringBuilder& out)
{
    const BlockCacheStats& c = m_blocks->stats();
    u64 interrupts = 0;
    for (u64 n : m_stats.interrupts_by_vector)
        interrupts += n;
    auto ull = [](u64 v) { return static_cast<unsigned long long>(v); };
    const u64* x = m_stats.exits;
    out.append("dispatches %llu (exits: unchained %llu, lookup misses %llu, interrupted %llu, helpers %llu, to the "
               "dispatcher %llu, halts %llu), TLB fills %llu, TLB flushes %llu (%llu keeping global pages), jump-cache clears %llu, "
               "blocks invalidated %llu, cache flushes %llu, chained links %llu, loops in registers %llu, interrupts %llu, host code %llu bytes",
        ull(m_stats.dispatches), ull(x[static_cast<u32>(RunExit::Unchained)]), ull(x[static_cast<u32>(RunExit::LookupMiss)]),
        ull(x[static_cast<u32>(RunExit::Interrupted)]), ull(x[static_cast<u32>(RunExit::HelperExit)]),
        ull(x[static_cast<u32>(RunExit::Dispatch)]), ull(x[static_cast<u32>(RunExit::Halt)]), ull(m_mmu->fills()), ull(m_mmu->flushes() + m_mmu->non_global_flushes()),
        ull(m_mmu->non_global_flushes()), ull(c.jump_cache_clears), ull(c.invalidated), ull(c.flushes), ull(c.chained),
        ull(m_stats.loop_blocks), ull(interrupts), ull(m_stats.host_code_bytes));
    u64 ticks = 0;
    for (u64 t : m_stats.phase_ticks)
        ticks += t;
    auto share = [&](EngineStats::Phase p) { return static_cast<unsigned>(ticks ? m_stats.phase_ticks[p] * 100 / ticks : 0); };
    out.append("; translation: decode and lower %u%%, IR passes %u%%, emission %u%%, cache insertion %u%%",
        share(EngineStats::Frontend), share(EngineStats::Passes), share(EngineStats::Backend), share(EngineStats::Cache));
}

void Engine::advance_clock()
{
    m_clock.advance_to(deterministic_time() ? m_virtual_ns : m_host.monotonic_ns() - m_clock_origin_ns);
}

namespace {

// Deterministic time: at most this many guest instructions between two looks at the clock,
// so devices polled without a timer (a PIT count, the TSC) see time move.
constexpr i64 max_icount_budget = 1 << 14;

} // namespace

i64 Engine::icount_budget() const
{
    u64 deadline = m_clock.next_deadline();
    if (deadline == ~0ull)
        return max_icount_budget;
    if (deadline <= m_virtual_ns)
        return 1;
    u64 shift = static_cast<u64>(m_config.icount_shift);
    u64 instructions = (deadline - m_virtual_ns + (1ull << shift) - 1) >> shift;
    return instructions < static_cast<u64>(max_icount_budget) ? static_cast<i64>(instructions) : max_icount_budget;
}

bool Engine::interrupt_may_be_pending()
{
    if (deterministic_time())
        return true;
    for (InterruptController* controller : m_interrupt_controllers) {
        if (controller->has_interrupt())
            return true;
    }
    u64 deadline = m_clock.next_deadline();
    return deadline != ~0ull && deadline <= clock_ns();
}

bool Engine::take_interrupt()
{
    if (m_interrupt_controllers.is_empty() || !m_arch.can_take_interrupt(m_run->cpu))
        return false;
    for (InterruptController* controller : m_interrupt_controllers) {
        if (controller->has_interrupt()) {
            u8 vector = controller->acknowledge();
            ++m_stats.interrupts_by_vector[vector];
            KEEL_LOG(Int, "int: external interrupt, vector 0x%02x, at pc 0x%llx\n", vector, (unsigned long long)m_run->cpu.hot.pc);
            m_arch.raise_external_interrupt(m_run->cpu, vector);
            return true;
        }
    }
    return false;
}

// Interrupts are enabled but the next instruction is in a shadow (x86: the one after STI or
// MOV SS, SDM vol. 3 §6.8.3) while an interrupt waits: that instruction runs alone, so the
// interrupt comes right after it and not after the rest of a block (`sti` ending a page,
// then `nop; cli` on the next one, must still let it in). can_wake_from_halt is the
// architecture's "maskable interrupts enabled".
bool Engine::interrupt_waits_behind_shadow()
{
    if (m_interrupt_controllers.is_empty() || !m_arch.can_wake_from_halt(m_run->cpu) || m_arch.can_take_interrupt(m_run->cpu))
        return false;
    for (InterruptController* controller : m_interrupt_controllers) {
        if (controller->has_interrupt())
            return true;
    }
    return false;
}

RunResult Engine::run(const RunOptions& options)
{
    // With timers or interrupt controllers, the host tick brings running code back to the
    // dispatcher about every millisecond.
    // With deterministic time the clock moves with the instruction count instead.
    bool ticking = (!m_interrupt_controllers.is_empty() || m_clock.armed_count() != 0) && !deterministic_time();
    if (ticking)
        m_host.set_tick_flag(&m_run->cpu.hot.exit_request);
    RunResult result = run_loop(options);
    if (ticking)
        m_host.set_tick_flag(nullptr);
    return result;
}

RunResult Engine::run_loop(const RunOptions& options)
{
    RunResult result {};
    ExitSlot* pending_link = nullptr;
    u64 pending_generation = 0;
    bool halted = false;
    for (;;) {
        if (m_shutdown) {
            result.kind = RunResult::Kind::Shutdown;
            result.exit_code = m_exit_code;
            m_shutdown = false;
            return result;
        }
        m_run->cpu.hot.exit_request = 0;
        if (m_service_requested) {
            m_service_requested = false;
            if (m_service_hook)
                m_service_hook(m_service_context);
            continue; // the hook may have ended the run or changed the state
        }
        if (m_stop_requested) {
            m_stop_requested = false;
            result.kind = RunResult::Kind::Stopped;
            format(result.message, sizeof(result.message), "stopped on request");
            return result;
        }
        if (options.stop_on_exception && m_arch.has_pending_event(m_run->cpu)) {
            result.kind = RunResult::Kind::GuestException;
            format(result.message, sizeof(result.message), "guest exception at pc 0x%llx", (unsigned long long)m_run->cpu.hot.pc);
            return result;
        }
        advance_clock();
        if (!m_arch.has_pending_event(m_run->cpu) && take_interrupt())
            halted = false;
        if (m_arch.has_pending_event(m_run->cpu)) {
            pending_link = nullptr;
            DeliveryResult delivery = m_arch.deliver_pending_event(m_run->cpu);
            if (delivery == DeliveryResult::Shutdown) {
                result.kind = RunResult::Kind::TripleFault;
                format(result.message, sizeof(result.message), "triple fault");
                return result;
            }
            if (delivery == DeliveryResult::Unsupported) {
                result.kind = RunResult::Kind::Unsupported;
                format(result.message, sizeof(result.message), "an interrupt or exception at pc 0x%llx in a mode keel cannot deliver events in yet",
                    (unsigned long long)m_run->cpu.hot.pc);
                return result;
            }
            halted = false;
        }
        if (halted) {
            // Only an interrupt wakes a halted CPU: it needs IF set, a controller, and a
            // timer armed or host input that could make the controller ask.
            bool can_wake = m_arch.can_wake_from_halt(m_run->cpu) && !m_interrupt_controllers.is_empty()
                && (m_clock.armed_count() != 0 || m_host_input);
            if (options.stop_on_halt || !can_wake) {
                result.kind = options.stop_on_halt ? RunResult::Kind::Stopped : RunResult::Kind::HaltedForever;
                format(result.message, sizeof(result.message), "the guest halted with nothing that could wake it (pc 0x%llx)",
                    (unsigned long long)m_run->cpu.hot.pc);
                return result;
            }
            m_run->cpu.hot.exit_request = 0;
            u64 deadline = m_clock.next_deadline();
            if (deterministic_time() && deadline != ~0ull) {
                // No host time passes for the guest: skip straight to its next timer.
                m_virtual_ns = deadline > m_virtual_ns ? deadline : m_virtual_ns;
                continue;
            }
            u64 idle_from = m_host.monotonic_ns();
            m_host.idle_until(deadline == ~0ull || deterministic_time() ? ~0ull : m_clock_origin_ns + deadline,
                &m_run->cpu.hot.exit_request);
            m_stats.halted_ns += m_host.monotonic_ns() - idle_from;
            continue;
        }

        bool single_step = m_run->smc_single_step != 0 || interrupt_waits_behind_shadow();
        m_run->smc_single_step = 0;
        u64 flushes_before = m_blocks->stats().flushes;
        TranslatedBlock* tb = find_or_translate(single_step);
        if (m_blocks->stats().flushes != flushes_before)
            pending_link = nullptr; // the exit it named is gone with the flush
        if (!tb) {
            if (m_arch.has_pending_event(m_run->cpu))
                continue;
            result.kind = RunResult::Kind::Unsupported;
            format(result.message, sizeof(result.message), "%s", m_arch.unsupported_reason(m_run->cpu.hot.mode));
            return result;
        }
        if (pending_link && pending_generation == m_blocks->stats().flushes && tb->findable)
            m_blocks->link(pending_link, tb);
        pending_link = nullptr;
        if (tb->findable)
            m_blocks->remember_jump_target(tb, block_is_on_global_pages(tb));

        ++m_stats.dispatches;
        if (log::enabled(log::Cpu)) {
            StringBuilder out;
            m_arch.dump_state(m_run->cpu, out);
            log::write(out.c_str(), out.length());
        }
        KEEL_LOG(Exec, "exec: block 0x%llx (host %p)\n", (unsigned long long)tb->pc, tb->code);
        i64 budget = deterministic_time() ? icount_budget() : 0;
        m_run->cpu.hot.icount_budget = budget;
        RunExit exit = m_backend->run(m_run->cpu, tb->code);
        if (deterministic_time()) {
            u64 executed = static_cast<u64>(budget - m_run->cpu.hot.icount_budget);
            m_instructions_executed += executed;
            m_virtual_ns += executed << m_config.icount_shift;
        }
        static_assert(static_cast<u32>(RunExit::HelperExit) + 1 == EngineStats::exit_kinds);
        ++m_stats.exits[static_cast<u32>(exit)];
        switch (exit) {
        case RunExit::Unchained:
            if (!log::enabled(log::NoChain)) {
                pending_link = reinterpret_cast<ExitSlot*>(m_run->cpu.hot.exit_slot);
                pending_generation = m_blocks->stats().flushes;
            }
            break;
        case RunExit::Halt:
            halted = true;
            break;
        default:
            break;
        }
    }
}

} // namespace keel
