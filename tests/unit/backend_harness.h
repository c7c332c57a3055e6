#pragma once
// The x86-64 backend on its own: a translation cache of the test's own (RWX mmap), a
// zeroed RunContext (the CPU context plus what generated code reaches past it: spill
// slots, the lookup cache), compile an IR block and run it. Blocks here touch only the
// context (guest state, flags, pc), never guest memory, so no engine is needed.
#include <catch2/catch.hpp>
#include <cstring>
#include <string>
#include <sys/mman.h>
#include "dbt/backend/x64/backend.h"
#include "dbt/runtime/run_context.h"
#include "dbt/runtime/translated_block.h"
#include "dbt/ir/passes/passes.h"
#include "dbt/ir/printer.h"

namespace keel::unit {

class BackendHarness {
public:
    explicit BackendHarness(usize region_size = 8 * MiB)
    {
        void* p = mmap(nullptr, region_size, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        REQUIRE(p != MAP_FAILED);
        m_region = CodeRegion { static_cast<u8*>(p), region_size };
        auto created = x64::Backend::create(m_region);
        if (created.is_error())
            FAIL("Backend::create: " << created.error().message());
        m_backend = created.release_value();
        // A whole RunContext, not a bare CpuContext: generated code spills to slots after
        // the guest state (RunContext::spill), and the lookup stub reads the jump cache.
        m_run = new RunContext();
        m_ctx = &m_run->cpu;
    }
    ~BackendHarness()
    {
        delete m_backend;
        delete m_run;
        munmap(m_region.base, m_region.size);
    }
    BackendHarness(const BackendHarness&) = delete;
    BackendHarness& operator=(const BackendHarness&) = delete;

    x64::Backend& backend() { return *m_backend; }
    CpuContext& ctx() { return *m_ctx; }
    u8* state() { return m_ctx->arch; }
    u16 flags() const { return static_cast<u16>(m_ctx->hot.flags); }

    // Compiles a verified block without chaining (exits return to the caller with pc
    // set); rewinds the cache first when it could not hold another block.
    const u8* compile(const ir::Block& block)
    {
        auto ok = ir::check(block);
        if (ok.is_error())
            FAIL("bad test block: " << ok.error().message() << "\n" << text(block));
        if (m_backend->capacity() - m_backend->used_bytes() < 2 * x64::max_block_code_bytes)
            m_backend->flush();
        m_tb = TranslatedBlock {};
        m_tb.pc = block.pc;
        x64::CompileOptions options;
        options.chain = false;
        REQUIRE(m_backend->compile(block, m_tb, options) == x64::CompileStatus::Ok);
        return m_tb.code;
    }
    RunExit run(const u8* code)
    {
        m_ctx->hot.exit_request = 0;
        return m_backend->run(*m_ctx, code);
    }
    const TranslatedBlock& last_block() const { return m_tb; }
    // The disassembly of the block compile() last returned (`code`).
    std::string listing(const u8* code)
    {
        StringBuilder text;
        m_backend->disassemble(code, m_tb.code_size, text);
        return text.c_str();
    }

    static std::string text(const ir::Block& block)
    {
        StringBuilder out;
        print_block(out, block);
        return out.c_str();
    }

private:
    CodeRegion m_region {};
    x64::Backend* m_backend = nullptr;
    RunContext* m_run = nullptr;
    CpuContext* m_ctx = nullptr;
    TranslatedBlock m_tb {};
};

} // namespace keel::unit
