#include "dbt/base/log.h"
#include "dbt/base/format.h"
#include "dbt/base/string.h"

namespace keel::log {
namespace {
Sink g_sink = nullptr;
u32 g_mask = 0;

struct Name {
    const char* name;
    u32 bits;
};
constexpr Name names[] = {
    { "in_asm", InAsm }, { "op", Op }, { "op_opt", OpOpt }, { "out_asm", OutAsm },
    { "exec", Exec | NoChain }, { "cpu", Cpu | NoChain }, { "int", Int }, { "mmu", Mmu },
    { "cache", Cache }, { "unimp", Unimp }, { "guest_errors", GuestErrors }, { "nochain", NoChain },
};
} // namespace

void set_sink(Sink sink) { g_sink = sink; }
void set_mask(u32 m) { g_mask = m; }
u32 mask() { return g_mask; }

const char* category_names()
{
    return "in_asm op op_opt out_asm exec cpu int mmu cache unimp guest_errors nochain";
}

Result<u32> parse_categories(const char* list)
{
    u32 result = 0;
    const char* p = list;
    while (*p) {
        const char* end = p;
        while (*end && *end != ',')
            ++end;
        usize len = end - p;
        bool found = false;
        for (const Name& n : names) {
            if (string_length(n.name) == len && memory_equal(n.name, p, len)) {
                result |= n.bits;
                found = true;
            }
        }
        if (!found)
            return Error::formatted("unknown log item '%.*s' (known: %s)", (int)len, p, category_names());
        p = *end ? end + 1 : end;
    }
    return result;
}

void write(const char* text, usize length)
{
    if (g_sink)
        g_sink(text, length);
}

void printf(const char* fmt, ...)
{
    char buffer[512];
    va_list args;
    va_start(args, fmt);
    usize n = vformat(buffer, sizeof(buffer), fmt, args);
    va_end(args);
    write(buffer, n < sizeof(buffer) ? n : sizeof(buffer) - 1);
}

} // namespace keel::log
