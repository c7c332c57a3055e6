// The kernel heap (kernel/mm/heap.cpp), hosted: each test runs a Heap over its own mmap'd
// MAP_NORESERVE region, which like the kernel's demand-paged range reads as zero and costs
// only the pages touched. Bad frees are checked in a child process, where the panic
// handler reports the message. The random stress test's seed is fixed and printed on failure.
#include <catch2/catch.hpp>
#include <map>
#include <random>
#include <string>
#include <vector>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#include "dbt/base/assert.h"
#include "kernel/mm/heap.h"

using namespace keel;
using keel::kernel::Heap;

namespace {

constexpr u64 page = Heap::page_size;

// A fresh anonymous region: zero until written, like the kernel's heap range.
class Region {
public:
    explicit Region(u64 size = 1 * GiB)
        : m_size(size)
    {
        void* memory = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        REQUIRE(memory != MAP_FAILED);
        // 4 KiB pages as in the kernel: with transparent huge pages, each sparse touch of
        // the stress test would make 2 MiB resident.
        madvise(memory, size, MADV_NOHUGEPAGE);
        m_base = static_cast<u8*>(memory);
    }
    ~Region() { munmap(m_base, m_size); }
    Region(const Region&) = delete;
    Region& operator=(const Region&) = delete;

    u8* base() const { return m_base; }
    u64 size() const { return m_size; }
    bool contains(const void* p, u64 n) const
    {
        auto a = reinterpret_cast<uptr>(p), b = reinterpret_cast<uptr>(m_base);
        return a >= b && a + n <= b + m_size;
    }

private:
    u8* m_base;
    u64 m_size;
};

uptr address(const void* p) { return reinterpret_cast<uptr>(p); }

// A fill pattern that differs per block and per position (words, so big blocks are quick).
u64 pattern(u64 id, u64 index) { return (id * 0x9e3779b97f4a7c15ull) ^ (index * 0xff51afd7ed558ccdull) ^ index; }

// Blocks up to 64 KiB are filled whole; bigger ones at their first and last 4 KiB and one
// word per 64 KiB between (enough to catch overlap and reuse without touching every page).
template<typename F>
void for_each_checked_word(u8* p, usize size, F f)
{
    u64* words = reinterpret_cast<u64*>(p);
    usize count = size / 8;
    if (size <= 64 * KiB) {
        for (usize i = 0; i < count; ++i)
            f(words[i], i);
        return;
    }
    for (usize i = 0; i < count; ++i) {
        usize offset = i * 8;
        if (offset < page || offset >= size - page || offset % (64 * KiB) == 0)
            f(words[i], i);
    }
}

void fill(void* p, usize size, u64 id)
{
    for_each_checked_word(static_cast<u8*>(p), size, [&](u64& w, usize i) { w = pattern(id, i); });
}

bool intact(void* p, usize size, u64 id)
{
    bool ok = true;
    for_each_checked_word(static_cast<u8*>(p), size, [&](u64& w, usize i) { ok &= w == pattern(id, i); });
    return ok;
}

// Runs `body` in a child process and returns the message it panicked with ("" if it did not).
template<typename F>
std::string panic_message(F body)
{
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
        body();
        _exit(0);
    }
    close(fds[1]);
    char text[512] = {};
    ssize_t n = read(fds[0], text, sizeof(text) - 1);
    close(fds[0]);
    int status = 0;
    REQUIRE(waitpid(child, &status, 0) == child);
    INFO("child status " << status << ", message: " << text);
    CHECK(WIFEXITED(status));
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 42 || n <= 0)
        return "";
    return text;
}

} // namespace

TEST_CASE("kernel heap: small allocations come from size classes of 16..2048 bytes", "[kernel_heap]")
{
    Region region;
    Heap heap(region.base(), region.size());
    std::vector<std::pair<void*, usize>> blocks;
    for (usize size = 0; size <= Heap::largest_small_size; size += (size < 256 ? 1 : 7)) {
        void* p = heap.allocate(size);
        REQUIRE(p);
        INFO("size " << size << " at " << p);
        CHECK(address(p) % 16 == 0);
        usize held = heap.allocation_size(p);
        CHECK(held >= size);
        CHECK(held >= 16);
        CHECK(held <= Heap::largest_small_size);
        CHECK(held - size <= (size < 128 ? 16 : size / 4 + 16)); // classes lose at most ~25%
        CHECK(region.contains(p, held));
        fill(p, held, blocks.size());
        blocks.push_back({ p, held });
    }
    for (usize i = 0; i < blocks.size(); ++i)
        REQUIRE(intact(blocks[i].first, blocks[i].second, i));
    // 16 bytes of small objects are 16 bytes of heap: no per-object header.
    void* a = heap.allocate(16);
    void* b = heap.allocate(16);
    CHECK(address(b) - address(a) == 16);
}

TEST_CASE("kernel heap: large allocations are whole, page-aligned pages", "[kernel_heap]")
{
    Region region;
    Heap heap(region.base(), region.size());
    for (usize size : { usize(2049), usize(4096), usize(4097), usize(100000), usize(3 * MiB + 5), usize(64 * MiB) }) {
        void* p = heap.allocate(size);
        REQUIRE(p);
        INFO("size " << size);
        CHECK(address(p) % page == 0);
        CHECK(heap.allocation_size(p) == (size + page - 1) / page * page);
        CHECK(region.contains(p, heap.allocation_size(p)));
        fill(p, size, size);
        CHECK(intact(p, size, size));
    }
}

TEST_CASE("kernel heap: alignments up to 4096 and beyond are honoured", "[kernel_heap]")
{
    Region region;
    Heap heap(region.base(), region.size());
    std::vector<void*> blocks;
    for (int round = 0; round < 3; ++round) {
        for (usize alignment = 1; alignment <= 64 * KiB; alignment *= 2) {
            for (usize size : { usize(0), usize(1), usize(24), usize(100), usize(2048), usize(3000), usize(10000) }) {
                void* p = heap.allocate(size, alignment);
                REQUIRE(p);
                INFO("size " << size << ", alignment " << alignment);
                CHECK(address(p) % alignment == 0);
                CHECK(heap.allocation_size(p) >= size);
                blocks.push_back(p);
            }
        }
    }
    for (void* p : blocks)
        heap.free(p);
    CHECK(heap.stats().bytes_in_use == 0);
}

TEST_CASE("kernel heap: freed memory is reused, and free page runs merge", "[kernel_heap]")
{
    Region region;
    Heap heap(region.base(), region.size());

    SECTION("a freed small object is the next one of its class")
    {
        void* p = heap.allocate(100);
        void* other = heap.allocate(100);
        heap.free(p);
        CHECK(heap.allocate(112) == p); // 100 and 112 bytes share a class
        heap.free(other);
        CHECK(heap.allocate(97) == other);
    }

    SECTION("a freed run is reused first-fit, its remainder split off")
    {
        u8* a = static_cast<u8*>(heap.allocate(8 * page));
        void* guard = heap.allocate(page);
        heap.free(a);
        CHECK(heap.allocate(3 * page) == a);
        CHECK(heap.allocate(5 * page) == a + 3 * page);
        CHECK(guard);
    }

    SECTION("adjacent free runs merge on either side")
    {
        u8* a = static_cast<u8*>(heap.allocate(4 * page));
        u8* b = static_cast<u8*>(heap.allocate(4 * page));
        u8* c = static_cast<u8*>(heap.allocate(4 * page));
        void* guard = heap.allocate(4 * page);
        REQUIRE(b == a + 4 * page);
        REQUIRE(c == b + 4 * page);
        heap.free(a);
        heap.free(c);
        heap.free(b); // merges with a on the left and c on the right
        CHECK(heap.allocate(12 * page) == a);
        CHECK(guard);
    }

    SECTION("a run freed at the top gives the pages back to the top")
    {
        u8* a = static_cast<u8*>(heap.allocate(4 * page));
        u8* b = static_cast<u8*>(heap.allocate(4 * page));
        heap.free(a);
        heap.free(b); // merges with a, and the whole run ends at the top
        u8* big = static_cast<u8*>(heap.allocate(100 * page));
        CHECK(big == a); // grown in place rather than above the old runs
    }

    SECTION("a large allocation freed and made again lands in the same place")
    {
        void* p = heap.allocate(10 * MiB);
        u64 reserved = heap.stats().reserved_bytes;
        heap.free(p);
        CHECK(heap.allocate(10 * MiB) == p);
        CHECK(heap.stats().reserved_bytes == reserved);
    }
}

TEST_CASE("kernel heap: statistics count allocations, bytes and the high-water marks", "[kernel_heap]")
{
    Region region;
    Heap heap(region.base(), region.size());
    Heap::Stats s = heap.stats();
    CHECK(s.bytes_in_use == 0);
    CHECK(s.reserved_bytes == 0);

    void* small = heap.allocate(40); // the 48-byte class
    void* large = heap.allocate(5 * MiB + 1);
    s = heap.stats();
    CHECK(s.allocation_count == 2);
    CHECK(s.free_count == 0);
    CHECK(s.bytes_in_use == 48 + 5 * MiB + page);
    CHECK(s.peak_bytes_in_use == s.bytes_in_use);
    CHECK(s.reserved_bytes >= 5 * MiB + page + 64 * KiB); // a span and the run
    CHECK(s.reserved_bytes < 6 * MiB);

    heap.free(large);
    heap.free(small);
    heap.free(nullptr); // ignored, not counted
    Heap::Stats after = heap.stats();
    CHECK(after.bytes_in_use == 0);
    CHECK(after.free_count == 2);
    CHECK(after.peak_bytes_in_use == s.bytes_in_use);
    CHECK(after.reserved_bytes == s.reserved_bytes); // a high-water mark
}

TEST_CASE("kernel heap: random allocations never overlap and keep their contents", "[kernel_heap]")
{
    constexpr u64 seed = 0x6b65656c; // fixed: failures are reproducible
    INFO("seed " << seed);
    std::mt19937_64 rng(seed);
    Region region;
    Heap heap(region.base(), region.size());

    struct Live {
        usize size;     // as asked for
        usize held;     // allocation_size
        u64 id;
    };
    std::map<uptr, Live> live;
    u64 next_id = 1;
    u64 bytes_held = 0;
    const usize alignments[] = { 1, 8, 16, 16, 16, 32, 64, 256, 4096 };

    auto random_size = [&]() -> usize {
        u64 r = rng() % 100;
        if (r < 60)
            return rng() % 128;
        if (r < 85)
            return rng() % 2049;
        if (r < 98)
            return 2049 + rng() % (64 * KiB);
        return 64 * KiB + rng() % (4 * MiB);
    };
    auto free_one = [&](std::map<uptr, Live>::iterator it) {
        INFO("freeing block " << it->second.id << " of " << it->second.size << " bytes at 0x" << std::hex << it->first);
        REQUIRE(intact(reinterpret_cast<void*>(it->first), it->second.size, it->second.id));
        bytes_held -= it->second.held;
        heap.free(reinterpret_cast<void*>(it->first));
        live.erase(it);
    };

    for (int step = 0; step < 100000; ++step) {
        // Drift between a few and ~3000 live blocks, so runs and free lists are reused.
        bool allocate = live.empty() || rng() % 3000 >= live.size() / (step % 20000 < 10000 ? 1 : 2);
        if (allocate) {
            usize size = random_size();
            usize alignment = alignments[rng() % std::size(alignments)];
            void* p = heap.allocate(size, alignment);
            INFO("step " << step << ": allocate(" << size << ", " << alignment << ")");
            REQUIRE(p);
            REQUIRE(address(p) % (alignment < 16 ? 16 : alignment) == 0);
            usize held = heap.allocation_size(p);
            REQUIRE(held >= size);
            REQUIRE(region.contains(p, held));
            // Neither neighbour may reach into [p, p + held).
            auto after = live.lower_bound(address(p));
            if (after != live.end())
                REQUIRE(address(p) + held <= after->first);
            if (after != live.begin()) {
                auto before = std::prev(after);
                REQUIRE(before->first + before->second.held <= address(p));
            }
            u64 id = next_id++;
            fill(p, size, id);
            live.emplace(address(p), Live { size, held, id });
            bytes_held += held;
        } else {
            auto it = live.lower_bound(address(region.base()) + rng() % region.size());
            if (it == live.end())
                it = live.begin();
            free_one(it);
        }
        if (step % 1000 == 0) {
            INFO("step " << step);
            REQUIRE(heap.stats().bytes_in_use == bytes_held);
        }
    }
    Heap::Stats s = heap.stats();
    INFO("peak " << s.peak_bytes_in_use << " bytes, reserved " << s.reserved_bytes << " bytes");
    CHECK(s.reserved_bytes < 512 * MiB);
    CHECK(s.reserved_bytes >= s.peak_bytes_in_use);
    while (!live.empty())
        free_one(live.begin());
    s = heap.stats();
    CHECK(s.bytes_in_use == 0);
    CHECK(s.allocation_count == s.free_count);
}

TEST_CASE("kernel heap: exhaustion returns null, and freeing makes room again", "[kernel_heap]")
{
    Region region(64 * MiB);
    Heap heap(region.base(), region.size());
    CHECK(heap.allocate(region.size()) == nullptr);
    CHECK(heap.allocate(~usize(0)) == nullptr);
    CHECK(heap.allocate(16, usize(1) << 40) == nullptr); // no such alignment in the range

    std::vector<void*> runs;
    while (void* p = heap.allocate(MiB))
        runs.push_back(p);
    CHECK(runs.size() >= 60); // the page map takes 1/256 of the range
    CHECK(runs.size() < 64);
    std::vector<void*> objects;
    while (void* p = heap.allocate(2048))
        objects.push_back(p);
    CHECK(heap.allocate(16) == nullptr); // no room for another class's span either
    CHECK(heap.allocate(MiB) == nullptr);
    CHECK(heap.stats().reserved_bytes <= region.size());

    heap.free(runs.back());
    runs.pop_back();
    void* again = heap.allocate(MiB);
    CHECK(again);
    heap.free(objects.back());
    CHECK(heap.allocate(2048) == objects.back());
}

TEST_CASE("kernel heap: bad frees panic with a message", "[kernel_heap]")
{
    Region region;
    Heap heap(region.base(), region.size());
    u8* small = static_cast<u8*>(heap.allocate(64));
    u8* large = static_cast<u8*>(heap.allocate(3 * page));
    u8* spare = static_cast<u8*>(heap.allocate(64)); // carved after `small`
    u8* top = static_cast<u8*>(heap.allocate(page)); // the last run: freeing it lowers the top

    CHECK_THAT(panic_message([&] { heap.free(small); heap.free(small); }), Catch::Contains("already free"));
    CHECK_THAT(panic_message([&] { heap.free(large); heap.free(large); }), Catch::Contains("already free"));
    CHECK_THAT(panic_message([&] { heap.free(small + 16); }), Catch::Contains("not the start of a 64-byte object"));
    CHECK_THAT(panic_message([&] { heap.free(spare + 64); }), Catch::Contains("not the start")); // never handed out
    CHECK_THAT(panic_message([&] { heap.free(large + page); }), Catch::Contains("not a live allocation"));
    CHECK_THAT(panic_message([&] { heap.free(large + 8); }), Catch::Contains("not a live allocation"));
    int local = 0;
    CHECK_THAT(panic_message([&] { heap.free(&local); }), Catch::Contains("not a heap pointer"));
    CHECK_THAT(panic_message([&] { heap.free(top); heap.free(top); }), Catch::Contains("not a live allocation"));
    CHECK_THAT(panic_message([&] { heap.allocation_size(region.base() + region.size() - 16); }),
        Catch::Contains("not a live allocation")); // in the range, never handed out
    CHECK_THAT(panic_message([&] { heap.allocation_size(region.base()); }), Catch::Contains("not a heap pointer")); // the page map
    CHECK_THAT(panic_message([&] { heap.allocate(16, 48); }), Catch::Contains("not a power of two"));
    CHECK_THAT(panic_message([&] {
        heap.free(small);
        small[8] = 1; // use after free
        heap.allocate(64);
    }),
        Catch::Contains("was written to"));
    // And nothing panics when used correctly (the child exits normally).
    CHECK(panic_message([&] { heap.free(small); heap.free(large); heap.free(spare); heap.free(top); }).empty());
}
