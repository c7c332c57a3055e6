#pragma once
// A small test machine for the unit tests: hosted::HostedPc with little RAM, raw x86-64
// machine code placed in guest memory, the test-guest entry state
// (docs/test-guest-entry-state.md: long mode, identity map, CPL 0, RFLAGS.IF = 0), and
// runs that stop at HLT. COM1 output is collected in `console`.
#include <catch2/catch.hpp>
#include <initializer_list>
#include <string>
#include <vector>
#include "hosted/builtin_types.h"
#include "hosted/hosted_pc.h"
#include "plugins/arch/x86/x86_arch.h"
#include "plugins/arch/x86/boot/test_entry_state.h"
#include "plugins/arch/x86/cpu_state.h"

namespace keel::unit {

class GuestMachine {
public:
    // side_exits: EngineConfig::side_exits (the keel command's -side-exits). firmware: a
    // -bios image (the machine keeps its own copy).
    explicit GuestMachine(u64 ram_size = 16 * MiB, u64 code_cache_size = 16 * MiB, bool side_exits = false,
        const std::vector<u8>* firmware = nullptr)
    {
        hosted::HostedPcConfig config;
        if (firmware) {
            config.machine.firmware = firmware->data();
            config.machine.firmware_size = firmware->size();
            config.machine.firmware_name = "test.rom";
        }
        config.machine.types = &hosted::builtin_types();
        config.machine.arch = &m_arch;
        config.machine.ram_size = ram_size;
        config.machine.side_exits = side_exits;
        config.code_cache_size = code_cache_size;
        config.machine.console = [](void* self, const char* bytes, usize length) {
            static_cast<GuestMachine*>(self)->console.append(bytes, length);
        };
        config.machine.console_context = this;
        auto created = hosted::HostedPc::create(config);
        if (created.is_error())
            FAIL("HostedPc::create: " << created.error().message());
        m_pc = created.release_value();
    }
    ~GuestMachine() { delete m_pc; }
    GuestMachine(const GuestMachine&) = delete;
    GuestMachine& operator=(const GuestMachine&) = delete;

    hosted::HostedPc& pc() { return *m_pc; }
    Engine& engine() { return m_pc->engine(); }
    CpuContext& ctx() { return engine().context(); }
    x86::CpuState& cpu() { return x86::state(ctx()); }
    u64& gpr(unsigned r) { return cpu().gpr[r]; }

    void write(u64 paddr, const std::vector<u8>& bytes)
    {
        auto r = engine().memory().write_bytes(paddr, bytes.data(), bytes.size());
        REQUIRE_FALSE(r.is_error());
    }
    u64 read(u64 paddr, unsigned size) { return engine().memory().read(paddr, size); }

    // Places `code` at `entry` and puts the CPU in the test-guest entry state there.
    void load(u64 entry, const std::vector<u8>& code)
    {
        write(entry, code);
        auto r = x86::setup_test_entry_state(engine().context(), entry);
        REQUIRE_FALSE(r.is_error());
    }

    // Runs until the guest halts (HLT with IF = 0 ends the run as Stopped).
    RunResult run_to_halt()
    {
        Engine::RunOptions options;
        options.stop_on_halt = true;
        options.stop_on_exception = true;
        return engine().run(options);
    }
    void require_halted(const RunResult& r)
    {
        INFO("run ended with kind " << static_cast<int>(r.kind) << ": " << r.message);
        REQUIRE(r.kind == RunResult::Kind::Stopped);
    }

    std::string console;

private:
    x86::X86Arch m_arch; // before m_pc: the machine uses it until it is destroyed
    hosted::HostedPc* m_pc = nullptr;
};

// Little-endian bytes of an immediate, for hand-assembled code.
inline void append_le(std::vector<u8>& out, u64 value, unsigned bytes)
{
    for (unsigned i = 0; i < bytes; ++i)
        out.push_back(static_cast<u8>(value >> (8 * i)));
}

inline std::vector<u8> concat(std::initializer_list<std::vector<u8>> parts)
{
    std::vector<u8> out;
    for (const auto& p : parts)
        out.insert(out.end(), p.begin(), p.end());
    return out;
}

// A few encodings (Intel SDM vol. 2) the tests assemble by hand.
namespace enc {
inline std::vector<u8> mov_r64_imm(u8 reg, u64 imm) // REX.W B8+r io
{
    std::vector<u8> v { static_cast<u8>(0x48 | (reg >> 3)), static_cast<u8>(0xB8 + (reg & 7)) };
    append_le(v, imm, 8);
    return v;
}
inline std::vector<u8> hlt() { return { 0xF4 }; }
} // namespace enc

} // namespace keel::unit
