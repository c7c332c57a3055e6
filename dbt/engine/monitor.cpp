#include "dbt/engine/monitor.h"
#include "dbt/backend/x64/backend.h"
#include "dbt/base/string.h"
#include "dbt/engine/engine.h"
#include "dbt/engine/memory_tree.h"
#include "dbt/plugin/device.h"

namespace keel {
namespace {

unsigned long long ull(u64 v) { return v; }

// Splits off the next blank-separated word of `line` into `word`; returns the rest.
const char* next_word(const char* line, char* word, usize capacity)
{
    while (*line == ' ' || *line == '\t')
        ++line;
    usize n = 0;
    while (*line && *line != ' ' && *line != '\t' && *line != '\n' && *line != '\r') {
        if (n + 1 < capacity)
            word[n++] = *line;
        ++line;
    }
    word[n] = '\0';
    return line;
}

bool parse_number(const char* text, u64& value)
{
    u64 base = 10;
    if (text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
        base = 16;
        text += 2;
    }
    if (!*text)
        return false;
    value = 0;
    for (; *text; ++text) {
        char c = *text | 0x20;
        u64 digit = (*text >= '0' && *text <= '9') ? u64(*text - '0') : (base == 16 && c >= 'a' && c <= 'f') ? u64(c - 'a' + 10) : 99;
        if (digit >= base)
            return false;
        value = value * base + digit;
    }
    return true;
}

constexpr const char* help_text = "info registers    the CPU state\n"
                                  "info mtree        memory regions and port ranges, with their owners\n"
                                  "info mem          the guest's virtual mappings, as its page tables say\n"
                                  "info tlb          every page-table leaf: virtual, physical, flags (XGPDACTUW)\n"
                                  "info blocks       translation cache statistics\n"
                                  "info devices      the devices and their names\n"
                                  "info NAME         one device's state (info pic, info lapic, info com1, ...)\n";
// (the machine's items, add_info, between the two)
constexpr const char* help_text_end = "x/NFU ADDR        guest virtual memory: N units of U (b h w g) as F (x d)\n"
                                      "xp/NFU ADDR       the same, guest physical\n"
                                      "quit              end the VM\n";

} // namespace

void Monitor::add_device(Device* device, const char* instance_name) { m_devices.append({ device, instance_name }); }

void Monitor::add_info(const char* item, const char* help, InfoFunction describe, void* context)
{
    m_extra_infos.append({ item, help, describe, context });
}

bool Monitor::execute(const char* line, StringBuilder& out)
{
    char command[32];
    const char* rest = next_word(line, command, sizeof(command));
    if (!command[0])
        return true;
    if (string_equal(command, "quit") || string_equal(command, "q"))
        return false;
    if (string_equal(command, "help") || string_equal(command, "?")) {
        StringBuilder extras;
        for (const ExtraInfo& extra : m_extra_infos)
            extras.append("info %-12s %s\n", extra.item, extra.help);
        out.append("%s%s%s", help_text, extras.c_str(), help_text_end);
    } else if (string_equal(command, "info")) {
        char what[32];
        next_word(rest, what, sizeof(what));
        info(what, out);
    } else if (starts_with(command, "x/") || starts_with(command, "xp/") || string_equal(command, "x") || string_equal(command, "xp")) {
        bool physical = command[1] == 'p';
        const char* slash = command + (physical ? 2 : 1);
        char address[32];
        next_word(rest, address, sizeof(address));
        examine(*slash == '/' ? slash + 1 : "", address, physical, out);
    } else {
        out.append("unknown command: '%s' (try help)\n", command);
    }
    return true;
}

void Monitor::info(const char* what, StringBuilder& out)
{
    if (string_equal(what, "registers")) {
        m_engine.arch().dump_state(m_engine.context(), out);
    } else if (string_equal(what, "mtree")) {
        describe_memory_tree(m_engine.memory(), m_engine.io(), out);
    } else if (string_equal(what, "mem")) {
        m_engine.arch().describe_mappings(m_engine.context(), Arch::MappingView::Ranges, out);
    } else if (string_equal(what, "tlb")) {
        m_engine.arch().describe_mappings(m_engine.context(), Arch::MappingView::Entries, out);
    } else if (string_equal(what, "blocks")) {
        const EngineStats& s = m_engine.stats();
        const BlockCacheStats& c = m_engine.blocks().stats();
        out.append("translated blocks   %llu (%llu live, %llu invalidated, %llu chained links)\n", ull(c.translated),
            ull(c.live_blocks), ull(c.invalidated), ull(c.chained));
        out.append("guest instructions  %llu translated (%llu bytes)\n", ull(s.guest_instructions_translated),
            ull(s.guest_bytes_translated));
        out.append("host code           %llu bytes generated; %llu of %llu bytes of the cache in use\n", ull(s.host_code_bytes),
            ull(m_engine.backend().used_bytes()), ull(m_engine.backend().capacity()));
        out.append("loops in registers  %llu (blocks looping on themselves with guest state in host registers)\n",
            ull(s.loop_blocks));
        out.append("cache flushes       %llu\n", ull(c.flushes));
        out.append("dispatches          %llu\n", ull(s.dispatches));
        out.append("code pages          %u\n", m_engine.blocks().code_page_count());
    } else if (string_equal(what, "devices")) {
        for (const NamedDevice& d : m_devices)
            out.append("%-12s %s\n", d.name, d.device->name());
    } else {
        for (const ExtraInfo& extra : m_extra_infos) {
            if (string_equal(what, extra.item)) {
                extra.describe(extra.context, out);
                return;
            }
        }
        // A device by instance name or type; QEMU's `info pic` and `info lapic`.
        const char* type = string_equal(what, "pic") ? "pic8259" : string_equal(what, "lapic") ? "lapic" : what;
        for (const NamedDevice& d : m_devices) {
            if (string_equal(d.name, what) || string_equal(d.device->name(), type)) {
                usize before = out.length();
                d.device->describe(out);
                if (out.length() == before)
                    out.append("%s (%s): nothing to show\n", d.name, d.device->name());
                return;
            }
        }
        StringBuilder extras;
        for (const ExtraInfo& extra : m_extra_infos)
            extras.append("%s, ", extra.item);
        out.append("info: unknown item '%s' (registers, mtree, mem, blocks, devices, %sor a device name)\n", what, extras.c_str());
    }
}

// QEMU's x/NFU: count, format (x hex, d decimal), unit (b h w g). Defaults 1, x, w.
void Monitor::examine(const char* format, const char* address_text, bool physical, StringBuilder& out)
{
    u64 count = 0;
    while (*format >= '0' && *format <= '9')
        count = count * 10 + u64(*format++ - '0');
    if (count == 0)
        count = 1;
    char style = 'x';
    unsigned size = 4;
    for (; *format; ++format) {
        switch (*format) {
        case 'x': case 'd': style = *format; break;
        case 'b': size = 1; break;
        case 'h': size = 2; break;
        case 'w': size = 4; break;
        case 'g': size = 8; break;
        default: out.append("x: unknown format '%c' (use x or d, and b h w g)\n", *format); return;
        }
    }
    u64 address;
    if (!parse_number(address_text, address)) {
        out.append("x: expected an address, got '%s'\n", address_text);
        return;
    }
    if (count > 1024)
        count = 1024;
    unsigned per_line = 16 / size;
    for (u64 i = 0; i < count; ++i) {
        u64 at = address + i * size;
        if (i % per_line == 0)
            out.append("%016llx:", ull(at));
        u64 value;
        if (!m_engine.debug_read(at, size, physical, value)) {
            out.append(" <cannot read %s address 0x%llx>\n", physical ? "physical" : "virtual", ull(at));
            return;
        }
        if (style == 'd')
            out.append(" %lld", static_cast<long long>(size == 8 ? value : size == 4 ? u64(i64(i32(value))) : size == 2 ? u64(i64(i16(value))) : u64(i64(i8(value)))));
        else
            out.append(" 0x%0*llx", static_cast<int>(size * 2), ull(value));
        if (i % per_line == per_line - 1 || i + 1 == count)
            out.append("\n");
    }
}

} // namespace keel
