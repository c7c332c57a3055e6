#include "kernel/debug/symbols.h"
#include "kernel/console/serial.h"

// Defined by kernel/efi.lds. Hidden, so the compiler addresses them RIP-relative (no GOT).
extern "C" {
[[gnu::visibility("hidden")]] extern const keel::u8 ImageBase[];
[[gnu::visibility("hidden")]] extern const keel::u8 _text[];
[[gnu::visibility("hidden")]] extern const keel::u8 _etext[];

// A function keel.sym must place where it is: a keel.sym from another build would name
// the wrong functions in every backtrace, so load() checks this one and refuses the file.
[[gnu::visibility("hidden"), gnu::noinline, gnu::used]] void keel_symbols_anchor() { asm volatile(""); }
}

namespace keel::kernel::symbols {
namespace {

constexpr const char* file_name = "keel.sym";
constexpr const char* anchor_name = "keel_symbols_anchor";
// Demangled template names can run to kilobytes; a panic line needs only the start.
constexpr usize max_name_length = 200;

struct Symbol {
    u64 offset; // from ImageBase
    u32 name;   // into g_names
};

Symbol* g_symbols = nullptr;
char* g_names = nullptr;
usize g_count = 0; // set last: lookup() sees either no table or a complete one

struct Line {
    u64 offset;
    const char* name;
    usize name_length;
};

enum class LineKind { Text, Other, Malformed };

bool is_text_type(char type) { return type == 't' || type == 'T' || type == 'w' || type == 'W'; }

int hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

u64 text_begin() { return static_cast<u64>(_text - ImageBase); }
u64 text_end() { return static_cast<u64>(_etext - ImageBase); }

// "<hex address> <type> <name>", the format of nm's default (BSD) output.
LineKind parse_line(const char* p, const char* end, Line& line)
{
    u64 address = 0;
    usize digits = 0;
    for (; p < end && hex_digit(*p) >= 0; ++p, ++digits)
        address = (address << 4) | static_cast<u64>(hex_digit(*p));
    if (digits == 0 || digits > 16 || end - p < 4 || p[0] != ' ' || p[2] != ' ')
        return LineKind::Malformed;
    char type = p[1];
    const char* name = p + 3;
    if (!is_text_type(type))
        return LineKind::Other;
    if (address < text_begin() || address >= text_end())
        return LineKind::Other; // e.g. ImageBase itself, or the linker's section symbols
    line = { address, name, static_cast<usize>(end - name) };
    return LineKind::Text;
}

// Calls f(line_begin, line_end) for each line, without its "\n" or "\r\n".
template<typename F>
void for_each_line(const char* text, usize length, F f)
{
    const char* end = text + length;
    for (const char* p = text; p < end;) {
        const char* eol = p;
        while (eol < end && *eol != '\n' && *eol != '\0')
            ++eol;
        const char* line_end = eol > p && eol[-1] == '\r' ? eol - 1 : eol;
        if (line_end > p)
            f(p, line_end);
        if (eol < end && *eol == '\0')
            break;
        p = eol + 1;
    }
}

bool name_equals(const char* name, const char* expected)
{
    while (*expected && *name == *expected)
        ++name, ++expected;
    return *name == '\0' && *expected == '\0';
}

// Shell sort: nm -n already sorts, so this only runs on a hand-edited file; no libc here.
void sort_by_offset(Symbol* symbols, usize count)
{
    for (usize gap = count / 2; gap > 0; gap /= 2) {
        for (usize i = gap; i < count; ++i) {
            Symbol s = symbols[i];
            usize j = i;
            for (; j >= gap && symbols[j - gap].offset > s.offset; j -= gap)
                symbols[j] = symbols[j - gap];
            symbols[j] = s;
        }
    }
}

void discard(Symbol* symbols, char* names)
{
    delete[] symbols;
    delete[] names;
}

} // namespace

void load(const char* text, usize length)
{
    if (!text || length == 0) {
        serial::print("keel: %s: absent or empty; backtraces show addresses only\n", file_name);
        return;
    }

    usize count = 0, name_bytes = 0, malformed = 0, first_malformed = 0, line_number = 0;
    for_each_line(text, length, [&](const char* p, const char* end) {
        ++line_number;
        Line line;
        switch (parse_line(p, end, line)) {
        case LineKind::Text:
            ++count;
            name_bytes += (line.name_length < max_name_length ? line.name_length : max_name_length) + 1;
            break;
        case LineKind::Malformed:
            if (malformed++ == 0)
                first_malformed = line_number;
            break;
        case LineKind::Other: break;
        }
    });
    if (count == 0) {
        if (malformed)
            serial::print("keel: %s: line %zu is not \"<address> <type> <name>\"; no symbols loaded\n", file_name,
                first_malformed);
        else
            serial::print("keel: %s: no text symbols in it; backtraces show addresses only\n", file_name);
        return;
    }
    if (name_bytes > 0xFFFF'FFFF) {
        serial::print("keel: %s: too large (%zu bytes of names); no symbols loaded\n", file_name, name_bytes);
        return;
    }

    auto* symbols = new Symbol[count];
    auto* names = new char[name_bytes];
    usize n = 0, used = 0;
    bool sorted = true;
    u64 anchor_in_file = ~0ull;
    for_each_line(text, length, [&](const char* p, const char* end) {
        Line line;
        if (n == count || parse_line(p, end, line) != LineKind::Text)
            return;
        usize copy = line.name_length < max_name_length ? line.name_length : max_name_length;
        for (usize i = 0; i < copy; ++i)
            names[used + i] = line.name[i];
        names[used + copy] = '\0';
        if (n > 0 && line.offset < symbols[n - 1].offset)
            sorted = false;
        symbols[n++] = { line.offset, static_cast<u32>(used) };
        if (name_equals(names + used, anchor_name))
            anchor_in_file = line.offset;
        used += copy + 1;
    });
    if (!sorted)
        sort_by_offset(symbols, n);

    u64 anchor = reinterpret_cast<u64>(&keel_symbols_anchor) - image_base();
    if (anchor_in_file != anchor) {
        if (anchor_in_file == ~0ull)
            serial::print("keel: %s: no %s in it: not this kernel's symbols; ignoring it\n", file_name, anchor_name);
        else
            serial::print("keel: %s: %s at 0x%llx, but this kernel has it at 0x%llx: the file is from another build; "
                          "ignoring it\n",
                file_name, anchor_name, static_cast<unsigned long long>(anchor_in_file),
                static_cast<unsigned long long>(anchor));
        discard(symbols, names);
        return;
    }

    discard(g_symbols, g_names);
    g_symbols = symbols;
    g_names = names;
    asm volatile("" ::: "memory");
    g_count = n;
    serial::print("keel: %s: %zu text symbols (%zu KiB)%s\n", file_name, n, (n * sizeof(Symbol) + used) / 1024,
        malformed ? ", some lines malformed and skipped" : "");
}

bool lookup(u64 address, const char*& name, u64& offset)
{
    usize count = g_count;
    if (count == 0 || !in_kernel_text(address))
        return false;
    u64 relative = address - image_base();
    // The first symbol above the address; the one before it contains it (nm gives no sizes,
    // so a symbol extends to the next one, the last to _etext).
    usize lo = 0, hi = count;
    while (lo < hi) {
        usize mid = lo + (hi - lo) / 2;
        if (g_symbols[mid].offset <= relative)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == 0)
        return false;
    const Symbol& symbol = g_symbols[lo - 1];
    name = g_names + symbol.name;
    offset = relative - symbol.offset;
    return true;
}

usize count() { return g_count; }

u64 image_base() { return reinterpret_cast<u64>(ImageBase); }

bool in_kernel_text(u64 address)
{
    return address >= reinterpret_cast<u64>(_text) && address < reinterpret_cast<u64>(_etext);
}

} // namespace keel::kernel::symbols
