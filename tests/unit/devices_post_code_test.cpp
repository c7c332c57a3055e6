// The POST code port 0x80: codes latched and read back, one log line per write, cheap
// writes for Linux's I/O delay, save/restore and reset.
#include <catch2/catch.hpp>
#include <string>
#include <vector>
#include "plugins/devices/post_code/post_code.h"

using namespace keel;
using keel::devices::PostCode;

namespace {

struct LogCapture {
    std::string text;
    int calls = 0;
    static void log(void* self, const char* bytes, usize length)
    {
        auto* c = static_cast<LogCapture*>(self);
        c->text.append(bytes, length);
        ++c->calls;
    }
};

std::vector<u8> saved(const PostCode& p)
{
    StateWriter w;
    p.save(w);
    return std::vector<u8>(w.data().begin(), w.data().end());
}

} // namespace

TEST_CASE("PostCode: each write is logged and the last code reads back", "[devices]")
{
    LogCapture log;
    PostCode post(LogCapture::log, &log);
    CHECK(post.io_read(0x80, 1) == 0x00);
    post.io_write(0x80, 0x0A, 1);
    post.io_write(0x80, 0xE5, 1);
    post.io_write(0x80, 0xE5, 1); // repeats are logged too
    CHECK(log.text == "POST code 0x0a\nPOST code 0xe5\nPOST code 0xe5\n");
    CHECK(log.calls == 3);
    CHECK(post.io_read(0x80, 1) == 0xE5);
    CHECK(post.last_code() == 0xE5);
    CHECK(post.writes() == 3);
    // Wider accesses: the low byte is the code; the rest reads as an empty bus.
    post.io_write(0x80, 0x1234'5600u, 4);
    CHECK(log.text.substr(log.text.size() - 15) == "POST code 0x00\n");
    CHECK(post.io_read(0x80, 2) == 0xFF00);
    post.io_write(0x80, 0xFF, 1);
    CHECK(post.io_read(0x80, 4) == 0xFFFF'FFFFu);
    CHECK(log.text.substr(log.text.size() - 15) == "POST code 0xff\n");
    // Other ports are not its.
    post.io_write(0x81, 0x42, 1);
    CHECK(post.io_read(0x81, 1) == 0xFF);
    CHECK(post.last_code() == 0xFF);
    CHECK(log.calls == 5);
}

TEST_CASE("PostCode: without a log, writes only latch (Linux's I/O delay)", "[devices]")
{
    PostCode post(nullptr, nullptr);
    for (u32 i = 0; i < 100000; ++i)
        post.io_write(0x80, i, 1); // native_io_delay: outb %al, $0x80
    CHECK(post.last_code() == (99999 & 0xFF));
    CHECK(post.writes() == 100000);
}

TEST_CASE("PostCode: describe for the monitor", "[devices]")
{
    PostCode post(nullptr, nullptr);
    post.io_write(0x80, 0xAB, 1);
    post.io_write(0x80, 0x0C, 1);
    StringBuilder text;
    post.describe(text);
    CHECK(std::string(text.c_str()) == "post: last=0c writes=2\n");
}

TEST_CASE("PostCode: save, restore, refusal and reset", "[devices]")
{
    LogCapture log;
    PostCode post(LogCapture::log, &log);
    post.io_write(0x80, 0x42, 1);
    std::vector<u8> bytes = saved(post);
    CHECK(bytes.size() == 10);
    CHECK(bytes[0] == PostCode::state_version);

    PostCode other(nullptr, nullptr);
    StateReader in(bytes.data(), bytes.size());
    REQUIRE_FALSE(other.restore(in).is_error());
    CHECK(other.io_read(0x80, 1) == 0x42);
    CHECK(other.writes() == 1);
    CHECK(saved(other) == bytes);

    std::vector<u8> bad = bytes;
    bad[0] = 7;
    std::vector<u8> truncated(bytes.begin(), bytes.end() - 1);
    post.io_write(0x80, 0x43, 1);
    std::vector<u8> before = saved(post);
    for (const std::vector<u8>& b : { bad, truncated, std::vector<u8> {} }) {
        StateReader r(b.data(), b.size());
        CHECK(post.restore(r).is_error());
        CHECK(saved(post) == before);
    }

    post.reset();
    CHECK(post.io_read(0x80, 1) == 0x00);
    CHECK(post.writes() == 0);
    CHECK(log.calls == 2); // restore and reset log nothing
}
