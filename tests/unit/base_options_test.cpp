// The keel command line (hosted/options): parse_size and parse_options on good and bad
// command lines, with the messages a user sees. Part of ctest unit.base.
#include <catch2/catch.hpp>
#include <initializer_list>
#include <string>
#include <vector>
#include "dbt/base/log.h"
#include "hosted/options.h"

using namespace keel;
using keel::hosted::Options;

namespace {

Result<Options> parse(std::initializer_list<const char*> args)
{
    std::vector<char*> argv { const_cast<char*>("keel") };
    for (const char* a : args)
        argv.push_back(const_cast<char*>(a));
    argv.push_back(nullptr);
    return hosted::parse_options(static_cast<int>(argv.size() - 1), argv.data());
}

std::string error_of(std::initializer_list<const char*> args)
{
    auto r = parse(args);
    return r.is_error() ? std::string(r.error().message()) : std::string("(accepted)");
}

std::string size_error(const char* text)
{
    auto r = parse_size(text);
    return r.is_error() ? std::string(r.error().message()) : std::string("(accepted)");
}

} // namespace

TEST_CASE("parse_size: units, and what is refused", "[base]")
{
    CHECK(parse_size("256M").value() == 256 * MiB);
    CHECK(parse_size("512").value() == 512 * MiB); // a plain number is MiB, as QEMU's -m
    CHECK(parse_size("1G").value() == GiB);
    CHECK(parse_size("2g").value() == 2 * GiB);
    CHECK(parse_size("64K").value() == 64 * KiB);
    CHECK(parse_size("64k").value() == 64 * KiB);
    CHECK(parse_size("3MB").value() == 3 * MiB);
    CHECK(parse_size("1024G").value() == 1024 * GiB); // the limit: 1 TiB
    CHECK(parse_size("0").value() == 0);
    CHECK(size_error("") == "invalid size ''");
    CHECK(size_error("M") == "invalid size 'M'");
    CHECK(size_error("-1") == "invalid size '-1'");
    CHECK(size_error("12X") == "invalid size '12X' (use a number with K, M or G)");
    CHECK(size_error("1MX") == "invalid size '1MX'");
    CHECK(size_error("1 G") == "invalid size '1 G' (use a number with K, M or G)");
    CHECK(size_error("1025G") == "size '1025G' is too large");
    CHECK(size_error("1048577") == "size '1048577' is too large"); // MiB
    CHECK(size_error("99999999999999999999") == "size '99999999999999999999' is too large"); // overflows u64
}

TEST_CASE("parse_options: a full command line", "[base]")
{
    auto r = parse({ "-kernel", "guest.elf", "-m", "512M", "-d", "in_asm,op", "-d", "mmu", "-D", "keel.log", "-accel", "tcg,tb-size=64",
        "-perfmap" });
    REQUIRE_FALSE(r.is_error());
    const Options& o = r.value();
    CHECK(std::string(o.kernel) == "guest.elf");
    CHECK(o.ram_size == 512 * MiB);
    CHECK(o.log_mask == (log::InAsm | log::Op | log::Mmu)); // -d accumulates
    CHECK(std::string(o.log_file) == "keel.log");
    CHECK(o.code_cache_size == 64 * MiB);
    CHECK(o.perf_map);
    CHECK_FALSE(o.help);
    CHECK_FALSE(o.version);
}

TEST_CASE("parse_options: defaults, QEMU spellings, -help and -version", "[base]")
{
    auto r = parse({ "--kernel", "g.elf", "--m", "size=1G", "-accel", "tcg" });
    REQUIRE_FALSE(r.is_error());
    CHECK(std::string(r.value().kernel) == "g.elf");
    CHECK(r.value().ram_size == GiB);
    CHECK(r.value().code_cache_size == GiB); // tcg without tb-size: the default
    CHECK(r.value().log_mask == 0);
    CHECK(r.value().log_file == nullptr);
    CHECK_FALSE(r.value().perf_map);

    auto d = parse({ "-kernel", "g.elf" });
    REQUIRE_FALSE(d.is_error());
    CHECK(d.value().ram_size == 256 * MiB);
    CHECK(d.value().code_cache_size == GiB);

    // -help and -version need no guest.
    CHECK(parse({ "-h" }).value().help);
    CHECK(parse({ "-help" }).value().help);
    CHECK(parse({ "--help" }).value().help);
    CHECK(parse({ "-version" }).value().version);
    CHECK(std::string(parse({ "-bios", "rom.bin" }).value().bios) == "rom.bin");
    CHECK(std::string(hosted::usage()).find("usage: keel -kernel FILE") == 0);
}

TEST_CASE("parse_options: bad command lines and their messages", "[base]")
{
    CHECK(error_of({}) == "no guest given (use -kernel FILE or -bios FILE; see keel -help)");
    CHECK(error_of({ "-m", "1G" }) == "no guest given (use -kernel FILE or -bios FILE; see keel -help)");
    CHECK(error_of({ "-kernel" }) == "option -kernel needs an argument");
    CHECK(error_of({ "-bios" }) == "option -bios needs an argument");
    CHECK(error_of({ "-kernel", "g.elf", "-bios", "rom.bin" })
        == "-kernel and -bios together: the firmware loads its OS itself (keel has no fw_cfg to hand it one)");
    CHECK(error_of({ "-bios", "rom.bin", "-initrd", "i.gz" }) == "-initrd needs a kernel (-kernel bzImage or a Multiboot kernel)");
    CHECK(error_of({ "-kernel", "g.elf", "-m" }) == "option -m needs an argument");
    CHECK(error_of({ "-kernel", "g.elf", "-D" }) == "option -D needs an argument");
    CHECK(error_of({ "-kernel", "g.elf", "-m", "lots" }) == "invalid size 'lots'");
    CHECK(error_of({ "-kernel", "g.elf", "-d", "in_asm,nope" }).find("unknown log item 'nope' (known: in_asm") == 0);
    CHECK(error_of({ "-kernel", "g.elf", "-d", "help" })
        == "log items: in_asm op op_opt out_asm exec cpu int mmu cache unimp guest_errors nochain");
    CHECK(error_of({ "-kernel", "g.elf", "-accel", "kvm" }) == "-accel kvm: keel only has its own translator (use tcg)");
    CHECK(error_of({ "-kernel", "g.elf", "-accel", "tcg,tb-size=huge" }) == "invalid size 'huge'");
    // Only tcg itself, not a name that starts with it; only the properties keel has.
    CHECK(error_of({ "-kernel", "g.elf", "-accel", "tcgfoo" }) == "-accel tcgfoo: keel only has its own translator (use tcg)");
    CHECK(error_of({ "-kernel", "g.elf", "-accel", "tcgfoo,tb-size=64" })
        == "-accel tcgfoo,tb-size=64: keel only has its own translator (use tcg)");
    CHECK(error_of({ "-kernel", "g.elf", "-accel", "tcg,thread=multi" })
        == "-accel tcg,thread=multi: unknown property 'thread=multi' (keel's tcg takes tb-size=N)");
    CHECK(error_of({ "-kernel", "g.elf", "-accel", "tcg,xtb-size=64" })
        == "-accel tcg,xtb-size=64: unknown property 'xtb-size=64' (keel's tcg takes tb-size=N)");
    CHECK(error_of({ "-kernel", "g.elf", "-accel", "tcg," }) == "-accel tcg,: unknown property '' (keel's tcg takes tb-size=N)");
    CHECK(error_of({ "-kernel", "g.elf", "-accel", "tcg,tb-size=" }) == "invalid size ''");
    CHECK(error_of({ "-kernel", "g.elf", "-accel", "tcg,tb-size=64,tb-size=huge" }) == "invalid size 'huge'");
    CHECK(error_of({ "-kernel", "g.elf", "-frobnicate" }) == "unknown option '-frobnicate' (see keel -help)");
    CHECK(error_of({ "--frobnicate", "-kernel", "g.elf" }) == "unknown option '--frobnicate' (see keel -help)");
    CHECK(error_of({ "g.elf" }) == "unknown option 'g.elf' (see keel -help)");
}
