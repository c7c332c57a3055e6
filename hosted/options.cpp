#include "hosted/options.h"
#include "dbt/engine/icount_option.h"
#include "dbt/base/log.h"
#include "dbt/base/string.h"

namespace keel::hosted {

const char* usage()
{
    return "usage: keel -kernel FILE [options]\n"
           "       keel -bios FILE [options]\n"
           "Runs an x86 guest through keel's dynamic binary translator: a Linux kernel, a Multiboot\n"
           "kernel, an ELF test guest, or firmware started at the PC's reset vector.\n"
           "\n"
           "  -kernel FILE          a Linux bzImage (docs/linux.md), a Multiboot kernel (docs/multiboot.md)\n"
           "                        or a guest ELF64 executable (entry state:\n"
           "                        docs/test-guest-entry-state.md), told apart by content\n"
           "  -bios FILE            a firmware ROM image (a multiple of 64 KiB) mapped below 4 GiB and its\n"
           "                        last 128 KiB below 1 MiB; the CPU starts at its reset vector in real\n"
           "                        mode (docs/bios.md)\n"
           "  -initrd FILE          the Linux kernel's initramfs, or a Multiboot kernel's modules\n"
           "                        (FILE[ ARGS][,FILE[ ARGS]...], as QEMU)\n"
           "  -append TEXT          the kernel's command line (e.g. \"console=ttyS0\")\n"
           "  -linux-entry 32|64    a Linux kernel's boot protocol entry (default: 64 when it has one)\n"
           "  -m SIZE               guest RAM, e.g. 256M, 1G (default 256M; a plain number is MiB)\n"
           "  -d ITEM[,ITEM...]     log: in_asm op op_opt out_asm exec cpu int mmu cache unimp guest_errors nochain\n"
           "  -D FILE               write the log to FILE instead of stderr\n"
           "  -accel tcg,tb-size=N  translation cache size in MiB (default 1024)\n"
           "  -perfmap              write /tmp/perf-PID.map naming generated code for perf\n"
           "  -stats                at exit, say on stderr where the run's time went: translating,\n"
           "                        halted, running the rest (docs/benchmarks.md)\n"
           "  -serial mon:stdio     standard input feeds the console UART (COM1); Ctrl-A c switches to\n"
           "                        the monitor and back (default when stdin and stdout are terminals)\n"
           "  -serial stdio|none    standard input feeds COM1 with no escape | is not read\n"
           "  -monitor stdio        standard input is the monitor only, a command a line (info registers,\n"
           "                        info mtree, x/, quit; see help)\n"
           "  -plugin-dir DIR       load every *.so in DIR as a plugin (default: ../plugins next to keel)\n"
           "  -M NAME|FILE          the machine: a built-in one (default pc; -M help lists them) or a\n"
           "                        machine description file (docs/machines.md)\n"
           "  -icount shift=N       deterministic time: 2^N ns of guest time per guest instruction, halts\n"
           "                        skip to the next timer, so runs repeat exactly (docs/virtual-time.md)\n"
           "  -side-exits           experimental: blocks go on past forward conditional branches, leaving\n"
           "                        through side exits (docs/ir.md#side-exits)\n"
           "  -device help          list the device types the loaded plugins provide, with their options\n"
           "  -h, -help             this text\n"
           "  -version              keel's version\n"
           "\n"
           "Exit status: (v << 1) | 1 (odd) when the guest writes v to port 0xf4; 2 after a\n"
           "triple fault; 4 when the guest halts with nothing to wake it; 6 when the guest\n"
           "needs something keel cannot do yet; 8 when keel cannot run the guest at all (bad\n"
           "options or files, a refused plugin; the reason on stderr); 10 when the guest resets\n"
           "the machine after an orderly shutdown (ACPI _TTS: reboot), 12 when it resets it\n"
           "without one (a kernel panic with panic=-1, an OS without ACPI); keel does not\n"
           "reboot. 0 after an ACPI power-off, -help, -version, the monitor's quit.\n";
}

namespace {

// -accel NAME[,PROPERTY=VALUE...] (QEMU's spelling): NAME must be exactly tcg and the only
// property keel has is tb-size; anything else is refused rather than taken for tcg.
Result<u64> parse_accel(const char* v, u64 code_cache_size)
{
    const char* p = v;
    while (*p && *p != ',')
        ++p;
    if (p - v != 3 || !starts_with(v, "tcg"))
        return Error::formatted("-accel %s: keel only has its own translator (use tcg)", v);
    while (*p == ',') {
        const char* property = ++p;
        while (*p && *p != ',')
            ++p;
        usize length = static_cast<usize>(p - property);
        if (length < 8 || !starts_with(property, "tb-size="))
            return Error::formatted("-accel %s: unknown property '%.*s' (keel's tcg takes tb-size=N)", v,
                static_cast<int>(length), property);
        char size[32];
        if (length - 8 >= sizeof(size))
            return Error::formatted("invalid size '%.*s'", static_cast<int>(length - 8), property + 8);
        copy_memory(size, property + 8, length - 8);
        size[length - 8] = '\0';
        code_cache_size = TRY(parse_size(size));
    }
    return code_cache_size;
}

} // namespace

Result<Options> parse_options(int argc, char** argv)
{
    Options o;
    for (int i = 1; i < argc; ++i) {
        const char* a = argv[i];
        // QEMU accepts both -opt and --opt.
        if (a[0] == '-' && a[1] == '-')
            ++a;
        auto value = [&](const char* name) -> Result<const char*> {
            if (i + 1 >= argc)
                return Error::formatted("option %s needs an argument", name);
            return argv[++i];
        };
        if (string_equal(a, "-kernel")) {
            o.kernel = TRY(value("-kernel"));
        } else if (string_equal(a, "-bios")) {
            o.bios = TRY(value("-bios"));
        } else if (string_equal(a, "-initrd")) {
            o.initrd = TRY(value("-initrd"));
        } else if (string_equal(a, "-append")) {
            o.append = TRY(value("-append"));
        } else if (string_equal(a, "-linux-entry")) {
            const char* v = TRY(value("-linux-entry"));
            if (!string_equal(v, "32") && !string_equal(v, "64"))
                return Error::formatted("-linux-entry: '%s' is not 32 or 64", v);
            o.linux_entry32 = string_equal(v, "32");
        } else if (string_equal(a, "-m")) {
            const char* v = TRY(value("-m"));
            if (starts_with(v, "size="))
                v += 5;
            o.ram_size = TRY(parse_size(v));
        } else if (string_equal(a, "-d")) {
            const char* v = TRY(value("-d"));
            if (string_equal(v, "help"))
                return Error::formatted("log items: %s", log::category_names());
            o.log_mask |= TRY(log::parse_categories(v));
        } else if (string_equal(a, "-D")) {
            o.log_file = TRY(value("-D"));
        } else if (string_equal(a, "-accel")) {
            const char* v = TRY(value("-accel"));
            o.code_cache_size = TRY(parse_accel(v, o.code_cache_size));
        } else if (string_equal(a, "-monitor")) {
            const char* v = TRY(value("-monitor"));
            if (!string_equal(v, "stdio"))
                return Error::formatted("-monitor %s: keel's monitor is on stdio for now (-monitor stdio)", v);
            o.monitor_stdio = true;
        } else if (string_equal(a, "-M") || string_equal(a, "-machine")) {
            o.machine = TRY(value(a));
        } else if (string_equal(a, "-serial")) {
            const char* v = TRY(value("-serial"));
            if (string_equal(v, "mon:stdio"))
                o.serial_input = Options::SerialInput::MonStdio;
            else if (string_equal(v, "stdio"))
                o.serial_input = Options::SerialInput::Stdio;
            else if (string_equal(v, "none") || string_equal(v, "null"))
                o.serial_input = Options::SerialInput::None;
            else
                return Error::formatted("-serial %s: keel's console is standard input and output (mon:stdio, stdio or none)", v);
        } else if (string_equal(a, "-icount")) {
            const char* v = TRY(value("-icount"));
            // QEMU's spelling: -icount shift=N (or just N); shift=auto and sleep= are not kept.
            auto shift = parse_icount_shift(v);
            if (shift.is_error())
                return Error::formatted("-icount: %s", shift.error().message());
            o.icount_shift = shift.value();
        } else if (string_equal(a, "-side-exits")) {
            o.side_exits = true;
        } else if (string_equal(a, "-device")) {
            const char* v = TRY(value("-device"));
            if (!string_equal(v, "help"))
                return Error::formatted("-device %s: devices come from the machine description (-M FILE, docs/machines.md); -device help lists the types", v);
            o.list_devices = true;
        } else if (string_equal(a, "-plugin-dir")) {
            o.plugin_dir = TRY(value("-plugin-dir"));
        } else if (string_equal(a, "-perfmap")) {
            o.perf_map = true;
        } else if (string_equal(a, "-stats")) {
            o.stats = true;
        } else if (string_equal(a, "-h") || string_equal(a, "-help")) {
            o.help = true;
        } else if (string_equal(a, "-version")) {
            o.version = true;
        } else {
            return Error::formatted("unknown option '%s' (see keel -help)", argv[i]);
        }
    }
    if ((o.initrd || o.append) && !o.kernel)
        return Error::formatted("%s needs a kernel (-kernel bzImage or a Multiboot kernel)", o.initrd ? "-initrd" : "-append");
    if (o.kernel && o.bios)
        return Error::formatted("-kernel and -bios together: the firmware loads its OS itself (keel has no fw_cfg to hand it one)");
    if (!o.help && !o.version && !o.list_devices && !o.kernel && !o.bios && !string_equal(o.machine, "help"))
        return Error::formatted("no guest given (use -kernel FILE or -bios FILE; see keel -help)");
    return o;
}

} // namespace keel::hosted
