#pragma once
// The keel command line, in QEMU's spelling where QEMU has one.
#include "dbt/base/parse_size.h"
#include "dbt/base/result.h"

namespace keel::hosted {

struct Options {
    const char* kernel = nullptr;  // -kernel FILE
    const char* bios = nullptr;    // -bios FILE: firmware started at the reset vector
    const char* initrd = nullptr;  // -initrd FILE (a Linux kernel's initramfs)
    const char* append = nullptr;  // -append TEXT (a Linux or Multiboot kernel's command line)
    bool linux_entry32 = false;    // -linux-entry 32: the Linux 32-bit boot protocol entry
    u64 ram_size = 256 * MiB;       // -m SIZE
    u32 log_mask = 0;               // -d ITEMS
    const char* log_file = nullptr; // -D FILE
    u64 code_cache_size = 1 * GiB;  // -accel tcg,tb-size=MiB
    bool perf_map = false;          // -perfmap
    bool stats = false;             // -stats
    bool monitor_stdio = false;      // -monitor stdio
    const char* plugin_dir = nullptr; // -plugin-dir DIR (default: ../plugins next to the binary)
    const char* machine = "pc";     // -M NAME|FILE: a built-in machine or a description file
    // -serial: where the console UART's input comes from. Auto: mon:stdio when standard
    // input and output are both terminals, else none (the output is always stdout).
    enum class SerialInput { Auto, MonStdio, Stdio, None };
    SerialInput serial_input = SerialInput::Auto;
    int icount_shift = -1;          // -icount shift=N: deterministic time (docs/virtual-time.md)
    bool side_exits = false;        // -side-exits (EngineConfig::side_exits)
    bool list_devices = false;      // -device help: the device types the plugins provide
    bool help = false;
    bool version = false;
};

Result<Options> parse_options(int argc, char** argv);
const char* usage();

} // namespace keel::hosted
