// keel.cfg, the UEFI kernel's configuration (kernel/boot/boot_config.cpp): what it accepts
// and the messages a user sees for what it refuses. ctest unit.kernel_config.
#include <catch2/catch.hpp>
#include <cstring>
#include <string>
#include "dbt/base/log.h"
#include "kernel/boot/boot_config.h"

using namespace keel;
using keel::kernel::BootConfig;

namespace {

Result<void> parse(const std::string& text, BootConfig& config)
{
    return kernel::parse_boot_config(text.data(), text.size(), "keel.cfg", config);
}

std::string error_of(const std::string& text)
{
    BootConfig config;
    auto r = parse(text, config);
    REQUIRE(r.is_error());
    return r.error().message();
}

} // namespace

TEST_CASE("keel.cfg: guests, memory, append and log", "[kernel]")
{
    BootConfig config;
    auto r = parse("# keel.cfg\n"
                   "guest = guests/demo.elf\n"
                   "  guest=guests/alu.elf   # the second one\r\n"
                   "memory = 512M\n"
                   "\n"
                   "append = console=ttyS0 root=/dev/ram0 init=/bin/sh#x\n"
                   "log = int,unimp\n",
        config);
    REQUIRE_FALSE(r.is_error());
    REQUIRE(config.guest_count == 2);
    CHECK(std::string(config.guests[0]) == "guests/demo.elf");
    CHECK(std::string(config.guests[1]) == "guests/alu.elf");
    CHECK(config.memory == 512 * MiB);
    // '#' inside a value (not after a blank) belongs to the value.
    CHECK(std::string(config.append) == "console=ttyS0 root=/dev/ram0 init=/bin/sh#x");
    CHECK(config.log_mask == (log::Int | log::Unimp));
}

TEST_CASE("keel.cfg: defaults and a last line without newline", "[kernel]")
{
    BootConfig config;
    REQUIRE_FALSE(parse("guest = a.elf", config).is_error());
    CHECK(config.guest_count == 1);
    CHECK(config.memory == 256 * MiB);
    CHECK(config.append[0] == '\0');
    CHECK(config.log_mask == 0);
    CHECK(config.crash_test == BootConfig::CrashTest::None);
    REQUIRE_FALSE(parse("guest = a.elf\ncrash_test = verify\n", config).is_error());
    CHECK(config.crash_test == BootConfig::CrashTest::Verify);
    CHECK(config.icount_shift == -1);
    REQUIRE_FALSE(parse("guest = a.elf\nicount = shift=3\n", config).is_error());
    CHECK(config.icount_shift == 3);
    REQUIRE_FALSE(parse("guest = a.elf\nicount = 0\n", config).is_error());
    CHECK(config.icount_shift == 0);
    CHECK(std::string(config.machine) == "pc");
    REQUIRE_FALSE(parse("guest = a.elf\nmachine = machines/board.cfg\n", config).is_error());
    CHECK(std::string(config.machine) == "machines/board.cfg");
    CHECK_FALSE(config.linux_entry32);
    REQUIRE_FALSE(parse("guest = a.elf\nlinux_entry = 32\n", config).is_error());
    CHECK(config.linux_entry32);
}

TEST_CASE("keel.cfg: what is refused, with file and line", "[kernel]")
{
    CHECK(error_of("guest = a.elf\ninitrd =\n") == "keel.cfg:2: initrd needs a file name");
    CHECK(error_of("guest = a.elf\nmemroy = 1G\n") == "keel.cfg:2: unknown setting 'memroy' (known: guest, bios, memory, initrd, append, linux_entry, log, icount, machine, plugins, crash_test)");
    CHECK(error_of("guest = a.elf\nlinux_entry = 16\n") == "keel.cfg:2: linux_entry: '16' is not 32 or 64");
    CHECK(error_of("guest a.elf\n") == "keel.cfg:1: expected 'key = value'");
    CHECK(error_of("guest = a\ncrash_test = yes\n") == "keel.cfg:2: crash_test: 'yes' is not page-fault or verify");
    CHECK(error_of("guest =\n") == "keel.cfg:1: guest needs a file name");
    CHECK(error_of("guest = a\nmachine =\n") == "keel.cfg:2: machine needs a built-in name or a file name");
    CHECK(error_of("guest = a\nicount = 11\n") == "keel.cfg:2: icount: '11' is not a shift from 0 to 10 (2^N ns per guest instruction)");
    CHECK(error_of("guest = a\nicount = auto\n") == "keel.cfg:2: icount: 'auto' is not a shift from 0 to 10 (2^N ns per guest instruction)");
    CHECK(error_of("# nothing\n\n") == "keel.cfg: no 'guest =' or 'bios =' line: nothing to run");
    CHECK(error_of("guest = a\nmemory = lots\n") == "keel.cfg:2: memory: invalid size 'lots'");
    CHECK(error_of("guest = a\nmemory = 1M\n") == "keel.cfg:2: memory: at least 2M is needed");
    CHECK(error_of("guest = a\nlog = everything\n").rfind("keel.cfg:2: log: unknown log item 'everything'", 0) == 0);
    CHECK(error_of("guest = " + std::string(200, 'x') + "\n") == "keel.cfg:1: guest file name longer than 127 characters");

    std::string many;
    for (u32 i = 0; i <= BootConfig::max_guests; ++i)
        many += "guest = g" + std::to_string(i) + "\n";
    CHECK(error_of(many) == "keel.cfg:33: more than 32 guests");
}

TEST_CASE("keel.cfg: bios = runs firmware as one of the guests", "[kernel]")
{
    BootConfig config;
    auto r = parse("guest = guests/demo.elf\nbios = roms/reset.rom\n", config);
    REQUIRE_FALSE(r.is_error());
    REQUIRE(config.guest_count == 2);
    CHECK_FALSE(config.guest_is_bios[0]);
    CHECK(std::strcmp(config.guests[1], "roms/reset.rom") == 0);
    CHECK(config.guest_is_bios[1]);
    CHECK(error_of("bios =\n") == "keel.cfg:1: bios needs a file name");
}
