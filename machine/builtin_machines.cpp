#include "machine/builtin_machines.h"
#include "dbt/base/string.h"

namespace keel::machine {
namespace {
// machine/CMakeLists.txt writes machines_pc.inc from machines/pc.cfg.
constexpr BuiltinMachine g_machines[] = {
    { "pc",
#include "machines_pc.inc"
    },
};
} // namespace

const BuiltinMachine* builtin_machines(usize& count)
{
    count = sizeof(g_machines) / sizeof(g_machines[0]);
    return g_machines;
}

const BuiltinMachine* find_builtin_machine(const char* name)
{
    for (const BuiltinMachine& m : g_machines)
        if (string_equal(m.name, name))
            return &m;
    return nullptr;
}

} // namespace keel::machine
