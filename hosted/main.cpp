// The keel command: runs a guest through the translator in a Linux process.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "dbt/base/log.h"
#include "hosted/linux_host_services.h"
#include "hosted/monitor_console.h"
#include "hosted/terminal_console.h"
#include "hosted/options.h"
#include "hosted/plugin_directory.h"
#include "hosted/hosted_pc.h"
#include "machine/builtin_machines.h"

using namespace keel;

namespace {

FILE* g_log = stderr;

void log_sink(const char* text, usize length) { fwrite(text, 1, length, g_log); }

void panic_handler(const char* file, int line, const char* message)
{
    fflush(stdout);
    fprintf(stderr, "keel: internal error at %s:%d: %s\n", file, line, message);
    abort();
}

// Every console byte is flushed at once on a terminal, and when standard input feeds the
// guest (someone, or a script, answers what it prints: a shell prompt has no newline);
// otherwise whole lines.
bool g_flush_every_write = false;

void console_output(void*, const char* bytes, usize length)
{
    fwrite(bytes, 1, length, stdout);
    if (g_flush_every_write || memchr(bytes, '\n', length))
        fflush(stdout);
}

// Exit statuses (docs/test-guest-entry-state.md): debug exit (v << 1) | 1, and these.
// Every status keel chooses itself is even, so no guest's debug exit (always odd) can
// produce it: a script can tell "the guest wrote 0" (1) from "keel could not run it" (8).
constexpr int exit_triple_fault = 2, exit_halted = 4, exit_unsupported = 6, exit_error = 8;

} // namespace

int main(int argc, char** argv)
{
    set_panic_handler(panic_handler);
    log::set_sink(log_sink);

    auto parsed = hosted::parse_options(argc, argv);
    if (parsed.is_error()) {
        fprintf(stderr, "keel: %s\n", parsed.error().message());
        return exit_error;
    }
    hosted::Options options = parsed.release_value();
    g_flush_every_write = isatty(STDOUT_FILENO);
    if (options.monitor_stdio && (options.serial_input == hosted::Options::SerialInput::MonStdio ||
                                     options.serial_input == hosted::Options::SerialInput::Stdio)) {
        fprintf(stderr, "keel: -monitor stdio and -serial %sstdio both want standard input; choose one\n",
            options.serial_input == hosted::Options::SerialInput::MonStdio ? "mon:" : "");
        return exit_error;
    }
    if (options.help) {
        fputs(hosted::usage(), stdout);
        return 0;
    }
    if (options.version) {
        puts("keel 0.1 (x86-64 guests on x86-64 hosts)");
        return 0;
    }
    if (options.log_file) {
        g_log = fopen(options.log_file, "w");
        if (!g_log) {
            fprintf(stderr, "keel: cannot open log file %s\n", options.log_file);
            return exit_error;
        }
    }
    log::set_mask(options.log_mask);

    // -M: a built-in machine by name, else a description file.
    usize builtin_count = 0;
    const machine::BuiltinMachine* builtins = machine::builtin_machines(builtin_count);
    if (strcmp(options.machine, "help") == 0) {
        puts("Built-in machines (keel -M NAME; or -M FILE for a description, docs/machines.md):");
        for (usize i = 0; i < builtin_count; ++i)
            printf("  %s%s\n", builtins[i].name, i == 0 ? " (default)" : "");
        return 0;
    }
    Vector<u8> description_file;
    const char* description = nullptr;
    usize description_length = 0;
    const char* description_name = options.machine;
    if (const machine::BuiltinMachine* builtin = machine::find_builtin_machine(options.machine)) {
        description = builtin->text;
        description_length = strlen(builtin->text);
    } else {
        auto read = hosted::read_file(options.machine, description_file, hosted::max_machine_description_size);
        if (read.is_error()) {
            fprintf(stderr, "keel: -M %s: not a built-in machine (-M help lists them) and %s\n", options.machine,
                read.error().message());
            return exit_error;
        }
        // Machine::create takes no text as "the built-in pc": an empty file must not.
        if (description_file.size() == 0) {
            fprintf(stderr, "keel: -M %s: the file is empty (a machine description needs an 'arch' line: docs/machines.md)\n",
                options.machine);
            return exit_error;
        }
        description = reinterpret_cast<const char*>(description_file.data());
        description_length = description_file.size();
    }

    // Plugins before the VM: a refused one means no VM starts.
    static hosted::LinuxHostServices plugin_services(0);
    static TypeRegistry plugin_types;
    const char* plugin_dir = options.plugin_dir ? options.plugin_dir : hosted::default_plugin_dir();
    auto plugins = hosted::load_plugin_directory(plugin_dir, options.plugin_dir != nullptr, plugin_services, plugin_types);
    if (plugins.is_error()) {
        fprintf(stderr, "keel: %s; the VM does not start\n", plugins.error().message());
        return exit_error;
    }

    if (options.list_devices) {
        printf("Device types in %s (machine descriptions use them: docs/machines.md):\n", plugin_dir);
        for (const DeviceType& type : plugin_types.device_types())
            printf("  %-12s %s; options: %s\n", type.name, type.description, type.options[0] ? type.options : "none");
        return 0;
    }

    // The guest CPU comes from an architecture plugin (plugins/arch/x86 builds x86_64.so).
    const ArchType* arch_type = plugin_types.find_arch("x86_64");
    if (!arch_type) {
        fprintf(stderr, "keel: no plugin in %s provides the x86_64 architecture (x86_64.so); the VM does not start\n",
            plugin_dir);
        return exit_error;
    }
    static Arch* arch = arch_type->create();

    hosted::HostedPcConfig config;
    config.machine.types = &plugin_types;
    config.machine.arch = arch;
    config.machine.description = description;
    config.machine.description_length = description_length;
    config.machine.description_name = description_name;
    config.machine.ram_size = options.ram_size;
    config.machine.icount_shift = options.icount_shift;
    config.machine.side_exits = options.side_exits;
    config.machine.console = console_output;
    config.code_cache_size = options.code_cache_size;
    config.perf_map = options.perf_map;
    Vector<u8> firmware; // the machine keeps its own copy
    if (options.bios) {
        if (auto read = hosted::read_file(options.bios, firmware, 16 * MiB + 1); read.is_error()) {
            fprintf(stderr, "keel: %s\n", read.error().message());
            return exit_error;
        }
        static const u8 empty_image[1] = {}; // an empty file is refused by the machine, by size
        config.machine.firmware = firmware.size() ? firmware.data() : empty_image;
        config.machine.firmware_size = firmware.size();
        config.machine.firmware_name = options.bios;
    }
    auto created = hosted::HostedPc::create(config);
    if (created.is_error()) {
        fprintf(stderr, "keel: %s\n", created.error().message());
        return exit_error;
    }
    hosted::HostedPc* pc = created.release_value();
    auto loaded = options.bios ? Result<void> {} : pc->load_kernel_file(options.kernel, options.initrd, options.append, options.linux_entry32);
    if (loaded.is_error()) {
        fprintf(stderr, "keel: %s\n", loaded.error().message());
        delete pc;
        return exit_error;
    }

    // Standard input: the monitor alone (-monitor stdio), or the guest's console with the
    // monitor behind Ctrl-A c (-serial mon:stdio), or nothing.
    Monitor monitor(pc->engine());
    pc->machine().attach(monitor);
    using SerialInput = hosted::Options::SerialInput;
    SerialInput serial = options.serial_input;
    if (serial == SerialInput::Auto)
        serial = !options.monitor_stdio && isatty(STDIN_FILENO) && isatty(STDOUT_FILENO) ? SerialInput::MonStdio : SerialInput::None;
    if (serial != SerialInput::None)
        g_flush_every_write = true;
    hosted::MonitorConsole* monitor_console = nullptr;
    hosted::TerminalConsole* terminal_console = nullptr;
    if (options.monitor_stdio) {
        monitor_console = new hosted::MonitorConsole(pc->engine(), monitor);
        monitor_console->start();
    } else if (serial != SerialInput::None) {
        terminal_console = new hosted::TerminalConsole(pc->machine(), monitor, serial == SerialInput::MonStdio);
        terminal_console->start();
    }
    u64 run_started = plugin_services.monotonic_ns();
    RunResult result = pc->engine().run();
    u64 run_ns = plugin_services.monotonic_ns() - run_started;
    pc->machine().run_ended();
    delete monitor_console;
    delete terminal_console;
    fflush(stdout);
    int status = exit_error;
    switch (result.kind) {
    case RunResult::Kind::Shutdown:
        status = result.exit_code;
        break;
    case RunResult::Kind::TripleFault: {
        StringBuilder dump;
        pc->arch().dump_state(pc->engine().context(), dump);
        fprintf(stderr, "keel: the guest triple-faulted; CPU state:\n%s", dump.c_str());
        status = exit_triple_fault;
        break;
    }
    case RunResult::Kind::HaltedForever:
    case RunResult::Kind::Stopped:
    case RunResult::Kind::GuestException:
        fprintf(stderr, "keel: %s\n", result.message);
        status = exit_halted;
        break;
    case RunResult::Kind::Unsupported:
        fprintf(stderr, "keel: cannot continue: %s\n", result.message);
        status = exit_unsupported;
        break;
    }
    if (options.stats) {
        StringBuilder line;
        describe_time_split(pc->engine().stats(), run_ns, line);
        fprintf(stderr, "keel: run time %s\n", line.c_str());
        StringBuilder counters;
        pc->engine().describe_counters(counters);
        fprintf(stderr, "keel: counters: %s\n", counters.c_str());
    }
    if (g_log != stderr)
        fclose(g_log);
    delete pc;
    return status;
}
