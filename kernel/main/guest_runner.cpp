#include "kernel/main/guest_runner.h"
#include "machine/builtin_machines.h"
#include "dbt/base/format.h"
#include "dbt/base/string.h"
#include "dbt/base/string_builder.h"
#include "kernel/console/serial.h"
#include "kernel/host/kernel_host_services.h"
#include "kernel/main/exit_codes.h"
#include "kernel/main/serial_console.h"
#include "kernel/time/clock.h"
#include "machine/machine.h"

namespace keel::kernel {
namespace {

KernelHostServices g_host;
char g_last_output = '\n';

// The guest's COM1 goes straight to the host's serial port.
void guest_console(void*, const char* bytes, usize length)
{
    serial::write(bytes, length);
    if (length)
        g_last_output = bytes[length - 1];
}

// keel's status lines start on a line of their own even if the guest's output did not end
// with a newline.
void end_guest_line()
{
    if (g_last_output != '\n')
        serial::write("\n");
    g_last_output = '\n';
}

GuestOutcome fail(const char* name, ExitCode code, const char* what, u64 started)
{
    end_guest_line();
    serial::print("keel: guest %s: %s\n", name, what);
    return { static_cast<u8>(code), clock::monotonic_ns() - started, 0, 0 };
}

Result<void> load_kernel(machine::Machine& pc, const char* name, const LoadedFile& file, const BootConfig& config, const LoadedFile& initrd)
{
    if (config.initrd[0] && initrd.error[0])
        return Error::formatted("initrd %s: %s", config.initrd, initrd.error);
    machine::Machine::KernelFiles kernel_files { file.data, file.size, name };
    if (config.initrd[0]) {
        kernel_files.initrd = initrd.data;
        kernel_files.initrd_size = initrd.size;
        kernel_files.initrd_name = config.initrd;
    }
    kernel_files.command_line = config.append[0] ? config.append : nullptr;
    kernel_files.linux_entry32 = config.linux_entry32;
    auto loaded = pc.load_kernel(kernel_files);
    if (loaded.is_error()) {
        // The loader's messages start with the file name, which fail() prints already.
        const char* message = loaded.error().message();
        usize name_length = string_length(name);
        if (memory_equal(message, name, name_length) && message[name_length] == ':')
            message += name_length + 2;
        return Error::formatted("%s", message);
    }
    return {};
}

} // namespace

GuestOutcome run_guest(const char* name, const LoadedFile& file, bool bios, const BootConfig& config, const LoadedFile& machine_file,
    const LoadedFile& initrd, Arch& arch,
    const TypeRegistry& types)
{
    u64 started = clock::monotonic_ns();
    if (file.error[0])
        return fail(name, ExitCode::GuestFileProblem, file.error, started);

    machine::MachineConfig machine_config;
    machine_config.types = &types;
    machine_config.arch = &arch;
    if (const machine::BuiltinMachine* builtin = machine::find_builtin_machine(config.machine)) {
        machine_config.description = builtin->text;
        machine_config.description_length = string_length(builtin->text);
    } else {
        // An empty file is an error, never the built-in pc (Machine::create takes a null
        // description as "use the built-in one"; an empty file may come back as null).
        if (machine_file.size == 0) {
            char message[160];
            format(message, sizeof(message), "machine description %s is empty", config.machine);
            return fail(name, ExitCode::GuestFileProblem, message, started);
        }
        machine_config.description = reinterpret_cast<const char*>(machine_file.data);
        machine_config.description_length = machine_file.size;
    }
    machine_config.description_name = config.machine;
    machine_config.ram_size = config.memory;
    machine_config.icount_shift = config.icount_shift;
    machine_config.console = guest_console;
    if (bios) {
        machine_config.firmware = file.data;
        machine_config.firmware_size = file.size;
        machine_config.firmware_name = name;
    }
    auto created = machine::Machine::create(g_host, machine_config);
    if (created.is_error())
        return fail(name, ExitCode::GuestFileProblem, created.error().message(), started); // the machine cannot be built
    machine::Machine* pc = created.release_value();

    // An ELF test guest, or a Linux kernel with keel.cfg's initrd and append (told apart
    // by content, as the keel command does); firmware (bios =) loads its OS itself.
    if (!bios) {
        if (auto loaded = load_kernel(*pc, name, file, config, initrd); loaded.is_error()) {
            delete pc;
            return fail(name, ExitCode::GuestFileProblem, loaded.error().message(), started);
        }
    }

    Monitor monitor(pc->engine());
    pc->attach(monitor);
    serial_console::attach(*pc, monitor);
    u64 run_started = clock::monotonic_ns();
    RunResult result = pc->engine().run();
    u64 run_ns = clock::monotonic_ns() - run_started;
    serial_console::detach();
    pc->run_ended();
    end_guest_line();
    GuestOutcome outcome {};
    switch (result.kind) {
    case RunResult::Kind::Shutdown:
        if (result.exit_code & 1) {
            // The debug-exit device reports QEMU's status, (v << 1) | 1; keel passes v on.
            outcome.exit_value = static_cast<u8>(static_cast<u32>(result.exit_code) >> 1);
            serial::print("keel: guest %s: debug exit 0x%x\n", name, outcome.exit_value);
        } else {
            // keel's own even statuses: 0 after an ACPI power-off, the machine's reset ones.
            ExitCode code = ExitCode::GuestPoweredOff;
            const char* what = "powered the machine off";
            if (result.exit_code == machine::reset_status)
                code = ExitCode::GuestReset, what = "reset the machine";
            else if (result.exit_code == machine::emergency_reset_status)
                code = ExitCode::GuestEmergencyReset, what = "reset the machine without an orderly shutdown";
            outcome.exit_value = static_cast<u8>(code);
            serial::print("keel: guest %s: %s\n", name, what);
        }
        break;
    case RunResult::Kind::TripleFault: {
        StringBuilder dump;
        pc->arch().dump_state(pc->engine().context(), dump);
        serial::print("keel: guest %s: triple fault; CPU state:\n", name);
        serial::write(dump.c_str());
        outcome.exit_value = static_cast<u8>(ExitCode::GuestTripleFault);
        break;
    }
    case RunResult::Kind::HaltedForever:
    case RunResult::Kind::Stopped:
    case RunResult::Kind::GuestException:
        serial::print("keel: guest %s: %s\n", name, result.message);
        outcome.exit_value = static_cast<u8>(ExitCode::GuestHaltedForever);
        break;
    case RunResult::Kind::Unsupported:
        serial::print("keel: guest %s: cannot continue: %s\n", name, result.message);
        outcome.exit_value = static_cast<u8>(ExitCode::GuestUnsupported);
        break;
    }
    const EngineStats& stats = pc->engine().stats();
    outcome.guest_instructions_translated = stats.guest_instructions_translated;
    outcome.translations = stats.translations;
    StringBuilder split;
    describe_time_split(stats, run_ns, split);
    format(outcome.time_split, sizeof(outcome.time_split), "%s", split.c_str());
    delete pc;
    outcome.host_ns = clock::monotonic_ns() - started;
    return outcome;
}

} // namespace keel::kernel
