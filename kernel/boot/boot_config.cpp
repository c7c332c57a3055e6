#include "kernel/boot/boot_config.h"
#include "dbt/base/log.h"
#include "dbt/base/parse_size.h"
#include "dbt/base/string.h"
#include "dbt/engine/icount_option.h"

namespace keel::kernel {
namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r'; }

// [begin, end) with surrounding blanks removed.
void trim(const char*& begin, const char*& end)
{
    while (begin < end && is_space(*begin))
        ++begin;
    while (end > begin && is_space(end[-1]))
        --end;
}

bool copy_bounded(char* dst, usize capacity, const char* begin, const char* end)
{
    usize n = static_cast<usize>(end - begin);
    if (n >= capacity)
        return false;
    copy_memory(dst, begin, n);
    dst[n] = '\0';
    return true;
}

bool key_is(const char* begin, const char* end, const char* key)
{
    usize n = static_cast<usize>(end - begin);
    return n == string_length(key) && memory_equal(begin, key, n);
}

} // namespace

Result<void> parse_boot_config(const char* text, usize length, const char* name, BootConfig& config)
{
    const char* p = text;
    const char* limit = text + length;
    for (u32 line = 1; p < limit; ++line) {
        const char* line_end = p;
        while (line_end < limit && *line_end != '\n')
            ++line_end;
        const char* next = line_end < limit ? line_end + 1 : line_end;

        // A '#' starts a comment, except inside an append value, where the guest's command
        // line may need one: there only " #" (a blank before it) starts a comment.
        const char* content_end = line_end;
        for (const char* c = p; c < line_end; ++c) {
            if (*c == '#' && (c == p || is_space(c[-1]))) {
                content_end = c;
                break;
            }
        }
        const char* key_begin = p;
        const char* content = content_end;
        trim(key_begin, content);
        if (key_begin == content) {
            p = next;
            continue;
        }
        const char* equals = key_begin;
        while (equals < content && *equals != '=')
            ++equals;
        if (equals == content)
            return Error::formatted("%s:%u: expected 'key = value'", name, line);
        const char* key_end = equals;
        const char* value_begin = equals + 1;
        const char* value_end = content;
        trim(key_begin, key_end);
        trim(value_begin, value_end);
        char value[BootConfig::max_append];
        if (!copy_bounded(value, sizeof(value), value_begin, value_end))
            return Error::formatted("%s:%u: value too long", name, line);

        if (key_is(key_begin, key_end, "guest") || key_is(key_begin, key_end, "bios")) {
            bool bios = key_is(key_begin, key_end, "bios");
            if (value[0] == '\0')
                return Error::formatted("%s:%u: %s needs a file name", name, line, bios ? "bios" : "guest");
            if (config.guest_count == BootConfig::max_guests)
                return Error::formatted("%s:%u: more than %u guests", name, line, BootConfig::max_guests);
            if (!copy_bounded(config.guests[config.guest_count], BootConfig::max_path, value_begin, value_end))
                return Error::formatted("%s:%u: guest file name longer than %zu characters", name, line, BootConfig::max_path - 1);
            config.guest_is_bios[config.guest_count++] = bios;
        } else if (key_is(key_begin, key_end, "memory")) {
            auto size = parse_size(value);
            if (size.is_error())
                return Error::formatted("%s:%u: memory: %s", name, line, size.error().message());
            if (size.value() < 2 * MiB)
                return Error::formatted("%s:%u: memory: at least 2M is needed", name, line);
            config.memory = size.value();
        } else if (key_is(key_begin, key_end, "initrd")) {
            if (value_begin == value_end)
                return Error::formatted("%s:%u: initrd needs a file name", name, line);
            if (!copy_bounded(config.initrd, BootConfig::max_path, value_begin, value_end))
                return Error::formatted("%s:%u: initrd file name longer than %zu characters", name, line, BootConfig::max_path - 1);
        } else if (key_is(key_begin, key_end, "append")) {
            copy_memory(config.append, value, string_length(value) + 1);
        } else if (key_is(key_begin, key_end, "linux_entry")) {
            if (string_equal(value, "32"))
                config.linux_entry32 = true;
            else if (string_equal(value, "64"))
                config.linux_entry32 = false;
            else
                return Error::formatted("%s:%u: linux_entry: '%s' is not 32 or 64", name, line, value);
        } else if (key_is(key_begin, key_end, "log")) {
            auto mask = log::parse_categories(value);
            if (mask.is_error())
                return Error::formatted("%s:%u: log: %s", name, line, mask.error().message());
            config.log_mask = mask.value();
        } else if (key_is(key_begin, key_end, "icount")) {
            auto shift = parse_icount_shift(value);
            if (shift.is_error())
                return Error::formatted("%s:%u: icount: %s", name, line, shift.error().message());
            config.icount_shift = shift.value();
        } else if (key_is(key_begin, key_end, "machine")) {
            if (value_begin == value_end)
                return Error::formatted("%s:%u: machine needs a built-in name or a file name", name, line);
            if (!copy_bounded(config.machine, BootConfig::max_path, value_begin, value_end))
                return Error::formatted("%s:%u: machine file name longer than %zu characters", name, line, BootConfig::max_path - 1);
        } else if (key_is(key_begin, key_end, "plugins")) {
            if (!copy_bounded(config.plugin_dir, BootConfig::max_path, value_begin, value_end))
                return Error::formatted("%s:%u: plugins folder name longer than %zu characters", name, line, BootConfig::max_path - 1);
        } else if (key_is(key_begin, key_end, "crash_test")) {
            if (string_equal(value, "page-fault"))
                config.crash_test = BootConfig::CrashTest::PageFault;
            else if (string_equal(value, "verify"))
                config.crash_test = BootConfig::CrashTest::Verify;
            else
                return Error::formatted("%s:%u: crash_test: '%s' is not page-fault or verify", name, line, value);
        } else {
            return Error::formatted("%s:%u: unknown setting '%.*s' (known: guest, bios, memory, initrd, append, linux_entry, log, icount, machine, plugins, crash_test)", name, line,
                static_cast<int>(key_end - key_begin), key_begin);
        }
        p = next;
    }
    if (config.guest_count == 0)
        return Error::formatted("%s: no 'guest =' or 'bios =' line: nothing to run", name);
    return {};
}

} // namespace keel::kernel
