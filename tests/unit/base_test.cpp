// dbt/base: the freestanding formatter (checked against the C library's snprintf, which
// it imitates), Result/TRY/MUST, Vector, and the log categories. The command line
// (hosted/options) is in base_options_test.cpp (same ctest, unit.base).
#include <catch2/catch.hpp>
#include <climits>
#include <cstdio>
#include <cstring>
#include <string>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#include "dbt/base/format.h"
#include "dbt/base/log.h"
#include "dbt/base/result.h"
#include "dbt/base/vector.h"

using namespace keel;

namespace {

// keel's format() and the C library's snprintf on the same arguments.
#define CHECK_LIKE_PRINTF(...)                                   \
    do {                                                         \
        char ours[128], libc[128];                               \
        usize n = format(ours, sizeof(ours), __VA_ARGS__);       \
        int m = snprintf(libc, sizeof(libc), __VA_ARGS__);       \
        INFO("format(" #__VA_ARGS__ ")");                        \
        CHECK(std::string(ours) == std::string(libc));           \
        CHECK(n == static_cast<usize>(m));                       \
    } while (0)

std::string fmt(const char* f, ...)
{
    char buffer[256];
    va_list args;
    va_start(args, f);
    vformat(buffer, sizeof(buffer), f, args);
    va_end(args);
    return buffer;
}

} // namespace

TEST_CASE("format: conversions and flags behave as printf's", "[base]")
{
    CHECK_LIKE_PRINTF("%d %d %d", 42, -42, 0);
    CHECK_LIKE_PRINTF("%d %i", INT_MIN, INT_MAX);
    CHECK_LIKE_PRINTF("%u %u", 0u, 4294967295u);
    CHECK_LIKE_PRINTF("%x %X %x", 0xdeadbeefu, 0xdeadbeefu, 0u);
    CHECK_LIKE_PRINTF("%llx %llX", 0x123456789abcdef0ull, 0xFEDCBA9876543210ull);
    CHECK_LIKE_PRINTF("%lld %lld %llu", LLONG_MIN, LLONG_MAX, ULLONG_MAX);
    CHECK_LIKE_PRINTF("%ld %lu %lx", -5L, 5UL, 0xABCUL);
    CHECK_LIKE_PRINTF("%zu %zx", static_cast<size_t>(12345), static_cast<size_t>(0xBEEF));
    CHECK_LIKE_PRINTF("%hd %hu %hhd %hhu %hhx", 0x18000, 0x18000, 0x1FF, 0x1FF, 0x1AB);
    CHECK_LIKE_PRINTF("%o %o", 8u, 0777u);
    CHECK_LIKE_PRINTF("[%s] [%s]", "abc", "");
    CHECK_LIKE_PRINTF("%c%c%c", 'k', 'e', 'l');
    CHECK_LIKE_PRINTF("100%% %s", "sure");
    CHECK_LIKE_PRINTF("%p", reinterpret_cast<void*>(0x1234));
    CHECK_LIKE_PRINTF("%p", reinterpret_cast<void*>(0x7fffdeadbeefull));
    // Width, zero padding, left alignment, precision.
    CHECK_LIKE_PRINTF("[%5d] [%-5d] [%05d] [%05d]", 42, 42, 42, -42);
    const char* left_zero = "[%-05d]"; // '-' wins over '0' (a literal would draw a -Wformat warning)
    CHECK(fmt(left_zero, 42) == "[42   ]");
    CHECK_LIKE_PRINTF("[%8x] [%08x] [%-8x] [%016llx]", 0xBEEFu, 0xBEEFu, 0xBEEFu, 0xCAFEull);
    CHECK_LIKE_PRINTF("[%2d] [%02x]", 12345, 0xABCu); // narrower than the number
    CHECK_LIKE_PRINTF("[%.3s] [%8.3s] [%-8.3s] [%.0s] [%.10s]", "abcdef", "abcdef", "abcdef", "abcdef", "abc");
    CHECK_LIKE_PRINTF("[%10s] [%-10s]", "right", "left");
    CHECK_LIKE_PRINTF("[%*d] [%-*d] [%.*s]", 6, 7, 6, 7, 2, "xyz");
    CHECK_LIKE_PRINTF("%-4u|%4u|", 7u, 7u);
    CHECK_LIKE_PRINTF("[%#x] [%#X] [%#x] [%#llx] [%#10x] [%#-10x]", 0xbeefu, 0xbeefu, 0u, 0x1234ull, 0xabu, 0xabu);
    CHECK(fmt("%s", static_cast<const char*>(nullptr)) == "(null)");
    CHECK(fmt("%-4s|%4s", "ab", "cd") == "ab  |  cd");
}

TEST_CASE("format: %.*s reads no byte past the precision (the text need not be terminated)", "[base]")
{
    // "abc" without a NUL, right before a page the process may not read: reading s[3]
    // would fault (a one-byte over-read ASan found when the parser quoted a word of a line).
    long page = sysconf(_SC_PAGESIZE);
    auto* area = static_cast<char*>(mmap(nullptr, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
    REQUIRE(area != MAP_FAILED);
    REQUIRE(mprotect(area + page, page, PROT_NONE) == 0);
    char* text = area + page - 3;
    std::memcpy(text, "abc", 3);
    CHECK(fmt("[%.*s]", 3, text) == "[abc]");
    CHECK(fmt("[%.2s]", text + 1) == "[bc]");
    CHECK(fmt("[%-5.*s]", 3, text) == "[abc  ]");
    munmap(area, 2 * page);
}

TEST_CASE("format: truncation keeps a terminated prefix and returns the full length", "[base]")
{
    char buffer[8];
    std::fill(buffer, buffer + 8, '#');
    CHECK(format(buffer, 5, "hello %s", "world") == 11);
    CHECK(std::string(buffer) == "hell");
    CHECK(buffer[5] == '#'); // nothing written past the given size
    CHECK(format(buffer, 1, "%d", 12345) == 5);
    CHECK(buffer[0] == '\0');
    buffer[0] = '#';
    CHECK(format(buffer, 0, "abc") == 3); // size 0: nothing written at all
    CHECK(buffer[0] == '#');
    CHECK(format(buffer, 4, "abc") == 3); // exactly fits
    CHECK(std::string(buffer) == "abc");
    CHECK(format(buffer, 8, "%-10d", 5) == 10);
    CHECK(std::string(buffer) == "5      ");
}

// printf pads %c to its width like any conversion, and so must format() (format.cpp,
// case 'c'): it once put the character unpadded, although format.h lists width among
// what it supports and GCC's format checking accepts "%3c".
TEST_CASE("format: a width applies to %c as in printf", "[base]")
{
    CHECK_LIKE_PRINTF("[%3c] [%-3c]", 'x', 'y');
}

namespace {

Result<int> parse_digit(char c)
{
    if (c < '0' || c > '9')
        return Error::formatted("'%c' is not a digit", c);
    return c - '0';
}

Result<int> two_digits(const char* s)
{
    int tens = TRY(parse_digit(s[0]));
    int ones = TRY(parse_digit(s[1]));
    return tens * 10 + ones;
}

Result<void> check_even(int v)
{
    if (v % 2)
        return Error::formatted("%d is odd", v);
    return {};
}

Result<int> even_two_digits(const char* s)
{
    int v = TRY(two_digits(s));
    TRY(check_even(v));
    return v;
}

} // namespace

TEST_CASE("Result: values, errors, TRY propagation", "[base]")
{
    auto ok = two_digits("42");
    REQUIRE_FALSE(ok.is_error());
    CHECK(ok.value() == 42);
    auto bad = two_digits("4x");
    REQUIRE(bad.is_error());
    CHECK(std::string(bad.error().message()) == "'x' is not a digit");
    CHECK(std::string(two_digits("y2").error().message()) == "'y' is not a digit"); // the first TRY returns early
    CHECK(even_two_digits("42").value() == 42);
    CHECK(std::string(even_two_digits("43").error().message()) == "43 is odd");
    CHECK(std::string(even_two_digits("z3").error().message()) == "'z' is not a digit");

    // Move-only values move through Result.
    auto make = []() -> Result<Vector<int>> {
        Vector<int> v;
        v.append(1);
        v.append(2);
        return v;
    };
    Vector<int> v = MUST(make());
    CHECK(v.size() == 2);
    CHECK(v[1] == 2);
    // An error's message is stored inline, truncated to its buffer.
    std::string long_text(500, 'e');
    Error e = Error::from_string(long_text.c_str());
    CHECK(std::string(e.message()) == std::string(199, 'e'));
    Error f = Error::from_string("100% sure"); // not a format string
    CHECK(std::string(f.message()) == "100% sure");
}

TEST_CASE("MUST: success yields the value; failure panics with the error", "[base]")
{
    CHECK(MUST(two_digits("17")) == 17);
    int fds[2];
    REQUIRE(pipe(fds) == 0);
    pid_t child = fork();
    REQUIRE(child >= 0);
    if (child == 0) {
        static int out;
        out = fds[1];
        set_panic_handler([](const char*, int, const char* message) {
            ssize_t unused = write(out, message, std::string(message).size());
            (void)unused;
            _exit(42);
        });
        int v = MUST(two_digits("9!"));
        _exit(v); // not reached
    }
    close(fds[1]);
    char text[256] = {};
    ssize_t n = read(fds[0], text, sizeof(text) - 1);
    close(fds[0]);
    int status = 0;
    REQUIRE(waitpid(child, &status, 0) == child);
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 42);
    REQUIRE(n > 0);
    CHECK(std::string(text) == "MUST failed: '!' is not a digit");
}

namespace {
struct Counted {
    static int live;
    int value;
    explicit Counted(int v = -1) : value(v) { ++live; }
    Counted(const Counted& o) : value(o.value) { ++live; }
    Counted(Counted&& o) noexcept : value(o.value) { o.value = -2; ++live; }
    Counted& operator=(Counted&& o) noexcept { value = o.value; o.value = -2; return *this; }
    Counted& operator=(const Counted& o) = default;
    ~Counted() { --live; }
};
int Counted::live = 0;
} // namespace

TEST_CASE("Vector: growth, removal, resize, moves, and every element destroyed", "[base]")
{
    {
        Vector<Counted> v;
        CHECK(v.is_empty());
        for (int i = 0; i < 100; ++i)
            v.emplace(i);
        CHECK(v.size() == 100);
        CHECK(v.capacity() >= 100);
        CHECK(Counted::live == 100);
        bool in_order = true;
        for (int i = 0; i < 100; ++i)
            in_order &= v[i].value == i;
        CHECK(in_order);
        CHECK(v.last().value == 99);
        CHECK(v.take_last().value == 99);
        CHECK(v.size() == 99);
        v.remove_unordered(10); // the last element takes its place
        CHECK(v.size() == 98);
        CHECK(v[10].value == 98);
        v.remove_unordered(97); // removing the last one
        CHECK(v.size() == 97);
        CHECK(Counted::live == 97);
        v.resize(100);
        CHECK(v[99].value == -1); // value-initialized
        v.resize(3);
        CHECK(Counted::live == 3);
        usize capacity = v.capacity();
        v.clear();
        CHECK(v.size() == 0);
        CHECK(v.capacity() == capacity); // keeps its memory
        CHECK(Counted::live == 0);
        v.emplace(7);
        Vector<Counted> w(std::move(v));
        CHECK(v.size() == 0);
        CHECK(w.size() == 1);
        CHECK(w[0].value == 7);
        Vector<Counted> x;
        x.emplace(1);
        x = std::move(w);
        CHECK(x.size() == 1);
        CHECK(x.at(0).value == 7);
        CHECK(Counted::live == 1);
        int sum = 0;
        for (const Counted& c : x)
            sum += c.value;
        CHECK(sum == 7);
    }
    CHECK(Counted::live == 0);
}

TEST_CASE("log: categories from QEMU-style lists, and the sink", "[base]")
{
    CHECK(log::parse_categories("in_asm,op").value() == (log::InAsm | log::Op));
    CHECK(log::parse_categories("exec").value() == (log::Exec | log::NoChain)); // tracing every block implies nochain
    CHECK(log::parse_categories("cpu").value() == (log::Cpu | log::NoChain));
    CHECK(log::parse_categories("").value() == 0);
    CHECK(log::parse_categories("mmu,").value() == log::Mmu);
    CHECK(log::parse_categories("op_opt,out_asm,int,cache,unimp,guest_errors,nochain").value()
        == (log::OpOpt | log::OutAsm | log::Int | log::Cache | log::Unimp | log::GuestErrors | log::NoChain));
    auto bad = log::parse_categories("op,bogus,in_asm");
    REQUIRE(bad.is_error());
    CHECK(std::string(bad.error().message())
        == "unknown log item 'bogus' (known: in_asm op op_opt out_asm exec cpu int mmu cache unimp guest_errors nochain)");
    CHECK(std::string(log::parse_categories("in").error().message()).find("unknown log item 'in'") == 0); // no prefixes

    static std::string captured;
    captured.clear();
    u32 old_mask = log::mask();
    log::set_sink([](const char* text, usize length) { captured.append(text, length); });
    log::set_mask(log::Mmu);
    KEEL_LOG(Mmu, "fill %d\n", 1);
    KEEL_LOG(Cache, "flush %d\n", 2);
    CHECK(log::enabled(log::Mmu));
    CHECK_FALSE(log::enabled(log::Cache));
    log::set_mask(old_mask);
    log::set_sink(nullptr);
    CHECK(captured == "fill 1\n");
}
