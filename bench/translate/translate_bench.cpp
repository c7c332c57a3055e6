// Translation throughput: how fast keel turns real x86-64 code into host code.
//
// The corpus is the .text of a Debian shared library, loaded into a guest and walked from
// its functions' entry points (exported function symbols), following direct branches
// inside each function to collect the blocks a guest would execute. Then, repeatedly:
// translate every block of the corpus (decode + lower + optimize + emit), and, as the
// ceiling, only decode the same instructions with Zydis. Medians of several rounds.
//
// Usage: translate-bench [--binary PATH] [--rounds N] [--json FILE]
#include <Zydis/Zydis.h>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <set>
#include <string>
#include <vector>
#include "dbt/backend/x64/backend.h"
#include "dbt/loader/elf.h"
#include "hosted/builtin_types.h"
#include "hosted/hosted_pc.h"
#include "plugins/arch/x86/x86_arch.h"
#include "plugins/arch/x86/boot/test_entry_state.h"

using namespace keel;

namespace {

constexpr u64 load_base = 16 * MiB;      // guest address of the library's vaddr 0
constexpr u32 max_blocks_per_function = 64;

struct Function {
    u64 start, end; // guest addresses
};

struct CorpusBlock {
    u64 pc;
    u32 instructions;
    u32 bytes;
};

struct Image {
    std::vector<u8> file;
    std::vector<Function> functions;
    u64 span = 0; // highest vaddr + size
};

bool read_file(const char* path, std::vector<u8>& out)
{
    std::ifstream in(path, std::ios::binary);
    if (!in)
        return false;
    out.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    return true;
}

// Exported (and, if present, local) function symbols inside executable sections.
bool parse_image(const char* path, Image& image)
{
    if (!read_file(path, image.file) || image.file.size() < sizeof(elf::Header)) {
        fprintf(stderr, "translate-bench: cannot read %s\n", path);
        return false;
    }
    const u8* data = image.file.data();
    elf::Header h;
    memcpy(&h, data, sizeof(h));
    if (memcmp(h.ident, elf::magic, 4) || h.machine != elf::machine_x86_64 || h.shentsize != sizeof(elf::SectionHeader)) {
        fprintf(stderr, "translate-bench: %s is not an x86-64 ELF file with section headers\n", path);
        return false;
    }
    std::vector<elf::SectionHeader> sections(h.shnum);
    memcpy(sections.data(), data + h.shoff, h.shnum * sizeof(elf::SectionHeader));
    for (u16 i = 0; i < h.phnum; ++i) {
        elf::ProgramHeader ph;
        memcpy(&ph, data + h.phoff + i * sizeof(ph), sizeof(ph));
        if (ph.type == elf::pt_load)
            image.span = std::max(image.span, ph.vaddr + ph.memsz);
    }
    std::set<u64> seen;
    for (const auto& sec : sections) {
        constexpr u32 sht_symtab = 2, sht_dynsym = 11;
        if (sec.type != sht_symtab && sec.type != sht_dynsym)
            continue;
        const auto& strtab = sections[sec.link];
        for (u64 off = 0; off + sizeof(elf::Symbol) <= sec.size; off += sizeof(elf::Symbol)) {
            elf::Symbol sym;
            memcpy(&sym, data + sec.offset + off, sizeof(sym));
            constexpr u8 stt_func = 2;
            if ((sym.info & 0xF) != stt_func || sym.size == 0 || sym.shndx == 0 || sym.shndx >= sections.size())
                continue;
            constexpr u64 shf_execinstr = 4;
            if (!(sections[sym.shndx].flags & shf_execinstr) || !seen.insert(sym.value).second)
                continue;
            (void)strtab;
            image.functions.push_back({ load_base + sym.value, load_base + sym.value + sym.size });
        }
    }
    std::sort(image.functions.begin(), image.functions.end(), [](const Function& a, const Function& b) { return a.start < b.start; });
    return !image.functions.empty();
}

// Places the library's segments in guest memory (as a loader would, at load_base).
bool load_image(Engine& engine, const Image& image)
{
    const u8* data = image.file.data();
    elf::Header h;
    memcpy(&h, data, sizeof(h));
    for (u16 i = 0; i < h.phnum; ++i) {
        elf::ProgramHeader ph;
        memcpy(&ph, data + h.phoff + i * sizeof(ph), sizeof(ph));
        if (ph.type != elf::pt_load || ph.filesz == 0)
            continue;
        if (engine.memory().write_bytes(load_base + ph.vaddr, data + ph.offset, ph.filesz).is_error())
            return false;
    }
    return true;
}

// The blocks reachable from each function entry through direct branches inside it.
std::vector<CorpusBlock> collect_corpus(Engine& engine, const Image& image)
{
    std::vector<CorpusBlock> corpus;
    for (const Function& f : image.functions) {
        std::vector<u64> work { f.start };
        std::set<u64> visited;
        while (!work.empty() && visited.size() < max_blocks_per_function) {
            u64 pc = work.back();
            work.pop_back();
            if (!visited.insert(pc).second)
                continue;
            const TranslatedBlock* tb = engine.translate_only(pc);
            if (!tb || tb->guest_insn_count == 0)
                continue;
            corpus.push_back({ pc, tb->guest_insn_count, tb->guest_size });
            const ir::Terminal& t = engine.last_ir().terminal;
            auto follow = [&](u64 target) {
                if (target >= f.start && target < f.end)
                    work.push_back(target);
            };
            if (t.kind == ir::TerminalKind::Jump || t.kind == ir::TerminalKind::Branch)
                follow(t.target);
            if (t.kind == ir::TerminalKind::Branch)
                follow(t.target_false);
        }
    }
    return corpus;
}

double seconds_since(std::chrono::steady_clock::time_point start)
{
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

double median(std::vector<double> v)
{
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

} // namespace

int main(int argc, char** argv)
{
    const char* binary = "/usr/lib/x86_64-linux-gnu/libstdc++.so.6";
    const char* json = nullptr;
    int rounds = 5;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        if (a == "--binary" && i + 1 < argc)
            binary = argv[++i];
        else if (a == "--rounds" && i + 1 < argc)
            rounds = std::max(1, atoi(argv[++i]));
        else if (a == "--json" && i + 1 < argc)
            json = argv[++i];
        else {
            fprintf(stderr, "usage: translate-bench [--binary PATH] [--rounds N] [--json FILE]\n");
            return 2;
        }
    }
    Image image;
    if (!parse_image(binary, image))
        return 1;

    hosted::HostedPcConfig config;
    static x86::X86Arch arch;
    config.machine.types = &hosted::builtin_types();
    config.machine.arch = &arch;
    config.machine.ram_size = std::max<u64>(64 * MiB, ((load_base + image.span + x86::test_entry_reserved_bytes) + MiB) & ~(MiB - 1));
    config.code_cache_size = 2 * GiB; // no flush in the middle of a round
    auto created = hosted::HostedPc::create(config);
    if (created.is_error()) {
        fprintf(stderr, "translate-bench: %s\n", created.error().message());
        return 1;
    }
    hosted::HostedPc* pc = created.release_value();
    Engine& engine = pc->engine();
    if (!load_image(engine, image) || x86::setup_test_entry_state(engine.context(), load_base).is_error()) {
        fprintf(stderr, "translate-bench: cannot load %s into the guest\n", binary);
        return 1;
    }

    std::vector<CorpusBlock> corpus = collect_corpus(engine, image);
    u64 instructions = 0, guest_bytes = 0;
    for (const CorpusBlock& b : corpus) {
        instructions += b.instructions;
        guest_bytes += b.bytes;
    }

    // Zydis alone on the same instructions: the ceiling for a decoder-driven translator.
    ZydisDecoder decoder;
    ZydisDecoderInit(&decoder, ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64);
    const u8* ram = engine.ram();
    std::vector<double> translate_times, decode_times;
    u64 host_bytes = 0;
    u64 checksum = 0;
    for (int r = 0; r < rounds; ++r) {
        engine.flush_translations();
        u64 used_before = engine.backend().used_bytes();
        auto t0 = std::chrono::steady_clock::now();
        for (const CorpusBlock& b : corpus)
            engine.translate_only(b.pc);
        translate_times.push_back(seconds_since(t0));
        host_bytes = engine.backend().used_bytes() - used_before;

        auto t1 = std::chrono::steady_clock::now();
        for (const CorpusBlock& b : corpus) {
            u64 at = b.pc;
            for (u32 i = 0; i < b.instructions; ++i) {
                ZydisDecodedInstruction insn;
                ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
                if (!ZYAN_SUCCESS(ZydisDecoderDecodeFull(&decoder, ram + at, 15, &insn, ops)))
                    break;
                checksum += insn.mnemonic;
                at += insn.length;
            }
        }
        decode_times.push_back(seconds_since(t1));
    }

    double t_translate = median(translate_times), t_decode = median(decode_times);
    double translate_mips = instructions / t_translate / 1e6, decode_mips = instructions / t_decode / 1e6;
    double expansion = double(host_bytes) / double(guest_bytes);
    printf("translate-bench: %s, %zu functions, %zu blocks, %llu guest instructions (%llu bytes), median of %d rounds\n", binary,
        image.functions.size(), corpus.size(), (unsigned long long)instructions, (unsigned long long)guest_bytes, rounds);
    printf("  %-34s %10.2f M guest instructions/s  (%.2f us per block)\n", "keel translation (decode..emit)", translate_mips,
        t_translate / corpus.size() * 1e6);
    printf("  %-34s %10.2f M instructions/s\n", "Zydis decode only (DecodeFull)", decode_mips);
    printf("  %-34s %10.1f %%\n", "keel / Zydis", 100.0 * translate_mips / decode_mips);
    printf("  %-34s %10.2f host bytes per guest byte (%llu host bytes)\n", "code expansion", expansion, (unsigned long long)host_bytes);
    const EngineStats& stats = engine.stats();
    u64 total_ticks = 0;
    for (u64 t : stats.phase_ticks)
        total_ticks += t;
    double share[EngineStats::PhaseCount];
    for (int p = 0; p < EngineStats::PhaseCount; ++p)
        share[p] = total_ticks ? 100.0 * stats.phase_ticks[p] / total_ticks : 0;
    printf("  %-34s decode+lower %.0f%%, passes %.0f%%, emit %.0f%%, cache %.0f%%\n", "translation time split", share[0], share[1],
        share[2], share[3]);
    if (json) {
        FILE* f = fopen(json, "w");
        if (!f) {
            fprintf(stderr, "translate-bench: cannot write %s\n", json);
            return 1;
        }
        fprintf(f,
            "{\n  \"binary\": \"%s\",\n  \"functions\": %zu,\n  \"blocks\": %zu,\n  \"guest_instructions\": %llu,\n"
            "  \"guest_bytes\": %llu,\n  \"rounds\": %d,\n  \"translate_mips\": %.3f,\n  \"zydis_decode_mips\": %.3f,\n"
            "  \"translate_vs_decode\": %.4f,\n  \"us_per_block\": %.3f,\n  \"host_bytes\": %llu,\n  \"host_bytes_per_guest_byte\": %.3f,\n"
            "  \"time_split_percent\": { \"decode_lower\": %.1f, \"passes\": %.1f, \"emit\": %.1f, \"cache\": %.1f }\n}\n",
            binary, image.functions.size(), corpus.size(), (unsigned long long)instructions, (unsigned long long)guest_bytes, rounds,
            translate_mips, decode_mips, translate_mips / decode_mips, t_translate / corpus.size() * 1e6, (unsigned long long)host_bytes, expansion, share[0], share[1], share[2], share[3]);
        fclose(f);
    }
    delete pc;
    return checksum == 0xFFFFFFFFFFFFFFFFull; // keeps the decode loop from being optimized away
}
