#include "machine/machine_description.h"
#include "dbt/base/parse_number.h"
#include "dbt/base/string.h"

namespace keel::machine {
namespace {

struct Word {
    const char* begin;
    const char* end;
    usize length() const { return static_cast<usize>(end - begin); }
    bool is(const char* s) const { return length() == string_length(s) && memory_equal(begin, s, length()); }
    bool starts_with(const char* s) const
    {
        usize n = string_length(s);
        return length() >= n && memory_equal(begin, s, n);
    }
};

bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\r'; }

// Splits one line (comments removed) into words.
usize split(const char* begin, const char* end, Word* words, usize capacity)
{
    usize n = 0;
    const char* p = begin;
    while (p < end) {
        while (p < end && is_blank(*p))
            ++p;
        if (p == end || *p == '#')
            break;
        const char* start = p;
        while (p < end && !is_blank(*p))
            ++p;
        if (n < capacity)
            words[n] = { start, p };
        ++n;
    }
    return n;
}

// "BASE+SIZE"
bool parse_range(const char* begin, const char* end, u64& base, u64& size)
{
    const char* plus = begin;
    while (plus < end && *plus != '+')
        ++plus;
    return plus < end && parse_number(begin, plus, base) && parse_number(plus + 1, end, size) && size > 0;
}

bool copy_word(char* out, usize capacity, const Word& w)
{
    if (w.length() >= capacity)
        return false;
    copy_memory(out, w.begin, w.length());
    out[w.length()] = '\0';
    return true;
}

bool overlaps(u64 a, u64 a_size, u64 b, u64 b_size) { return a < b + b_size && b < a + a_size; }

} // namespace

const DeviceSpec* MachineDescription::find(const char* name) const
{
    for (const DeviceSpec& d : devices) {
        if (string_equal(d.name, name))
            return &d;
    }
    return nullptr;
}

Result<MachineDescription> parse_machine_description(const char* text, usize length, const char* file)
{
    MachineDescription machine;
    const char* p = text;
    const char* limit = text + length;
    for (u32 line = 1; p < limit; ++line) {
        const char* end = p;
        while (end < limit && *end != '\n')
            ++end;
        Word words[24];
        usize count = split(p, end, words, 24);
        p = end < limit ? end + 1 : end;
        if (count == 0)
            continue;
        if (count > 24)
            return Error::formatted("%s:%u: too many words", file, line);

        if (words[0].is("arch")) {
            if (count != 2 || !copy_word(machine.arch, sizeof(machine.arch), words[1]))
                return Error::formatted("%s:%u: expected 'arch NAME'", file, line);
            continue;
        }
        if (!words[0].is("device"))
            return Error::formatted("%s:%u: unknown statement '%.*s' (known: arch, device)", file, line,
                static_cast<int>(words[0].length()), words[0].begin);
        if (count < 3)
            return Error::formatted("%s:%u: expected 'device TYPE NAME [port=..] [mmio=..] [irq=..]'", file, line);

        DeviceSpec device {};
        device.line = line;
        if (!copy_word(device.type, sizeof(device.type), words[1]) || !copy_word(device.name, sizeof(device.name), words[2]))
            return Error::formatted("%s:%u: device type or name longer than 31 characters", file, line);
        if (machine.find(device.name))
            return Error::formatted("%s:%u: a device named '%s' already exists", file, line, device.name);
        usize options_length = 0;
        for (usize i = 3; i < count; ++i) {
            const Word& w = words[i];
            u64 a, b;
            if (w.starts_with("port=")) {
                // Compared without a + b, which wraps for a huge COUNT.
                if (!parse_range(w.begin + 5, w.end, a, b) || b > 0x10000 || a > 0x10000 - b)
                    return Error::formatted("%s:%u: bad port range '%.*s' (FIRST+COUNT within 0-0xffff)", file, line,
                        static_cast<int>(w.length()), w.begin);
                device.ports.append({ static_cast<u16>(a), static_cast<u32>(b) });
            } else if (w.starts_with("mmio=")) {
                if (!parse_range(w.begin + 5, w.end, a, b) || a + b < a)
                    return Error::formatted("%s:%u: bad MMIO range '%.*s' (BASE+SIZE)", file, line, static_cast<int>(w.length()),
                        w.begin);
                device.mmio.append({ a, b });
            } else if (w.starts_with("irq=")) {
                const char* colon = w.begin + 4;
                while (colon < w.end && *colon != ':')
                    ++colon;
                IrqSpec irq {};
                if (colon == w.end || !parse_number(colon + 1, w.end, a) || a > 255
                    || !copy_word(irq.controller, sizeof(irq.controller), { w.begin + 4, colon }) || !irq.controller[0])
                    return Error::formatted("%s:%u: bad interrupt wiring '%.*s' (irq=CONTROLLER:LINE)", file, line,
                        static_cast<int>(w.length()), w.begin);
                irq.line = static_cast<u32>(a);
                device.irqs.append(irq);
            } else {
                const char* equals = w.begin;
                while (equals < w.end && *equals != '=')
                    ++equals;
                if (equals == w.begin || equals == w.end)
                    return Error::formatted("%s:%u: expected key=value, got '%.*s'", file, line, static_cast<int>(w.length()),
                        w.begin);
                if (options_length + w.length() + 2 > sizeof(device.options))
                    return Error::formatted("%s:%u: options too long", file, line);
                if (options_length)
                    device.options[options_length++] = ' ';
                copy_memory(device.options + options_length, w.begin, w.length());
                options_length += w.length();
                device.options[options_length] = '\0';
            }
        }
        // No two devices may claim the same port or physical address.
        for (const DeviceSpec& other : machine.devices) {
            for (const PortSpec& mine : device.ports) {
                for (const PortSpec& theirs : other.ports) {
                    if (overlaps(mine.first, mine.count, theirs.first, theirs.count))
                        return Error::formatted("%s:%u: ports 0x%x+%u of %s overlap %s's (line %u)", file, line, mine.first,
                            mine.count, device.name, other.name, other.line);
                }
            }
            for (const MmioSpec& mine : device.mmio) {
                for (const MmioSpec& theirs : other.mmio) {
                    if (overlaps(mine.base, mine.size, theirs.base, theirs.size))
                        return Error::formatted("%s:%u: MMIO 0x%llx+0x%llx of %s overlaps %s's (line %u)", file, line,
                            static_cast<unsigned long long>(mine.base), static_cast<unsigned long long>(mine.size), device.name,
                            other.name, other.line);
                }
            }
        }
        machine.devices.append(static_cast<DeviceSpec&&>(device));
    }
    if (!machine.arch[0])
        return Error::formatted("%s: no 'arch' line", file);
    for (const DeviceSpec& d : machine.devices) {
        for (const IrqSpec& irq : d.irqs) {
            if (!string_equal(irq.controller, "cpu") && !machine.find(irq.controller))
                return Error::formatted("%s:%u: %s's interrupt goes to '%s', which is not a device of this machine", file, d.line,
                    d.name, irq.controller);
        }
    }
    return machine;
}

} // namespace keel::machine
