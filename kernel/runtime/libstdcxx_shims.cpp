// The few out-of-line pieces of libstdc++ that its header-only containers import (xbyak's
// std::list and std::unordered_map, see tests/freestanding/allowed_imports.txt): the
// kernel cannot link libstdc++ (it needs libc and exceptions), so it defines them here.
// Also the POSIX functions xbyak's default allocator would call, as panics.
//
// Compiled without -mgeneral-regs-only (kernel/CMakeLists.txt): the rehash policy
// computes with float and double, as its inline half in the headers does.
#include <bits/functexcept.h>
#include <list>
#include <unordered_map>
#include <stdarg.h>
#include "dbt/base/assert.h"
#include "dbt/base/format.h"

namespace {

bool is_prime(size_t n)
{
    if (n < 4)
        return n >= 2;
    if (n % 2 == 0)
        return false;
    for (size_t d = 3; d <= n / d; d += 2) {
        if (n % d == 0)
            return false;
    }
    return true;
}

// floor(x) for x >= 0, saturating (a conversion rather than floor(): no libm call).
size_t floor_count(double x)
{
    return x >= 18446744073709551615.0 ? static_cast<size_t>(-1) : static_cast<size_t>(x);
}

} // namespace

// The throw hooks (<bits/functexcept.h>): with -fno-exceptions, a container that would
// throw is a keel bug.
namespace std {

void __throw_bad_exception() { PANIC("libstdc++: std::bad_exception"); }
void __throw_bad_alloc() { PANIC("libstdc++: std::bad_alloc"); }
void __throw_bad_array_new_length() { PANIC("libstdc++: std::bad_array_new_length"); }
void __throw_bad_cast() { PANIC("libstdc++: std::bad_cast"); }
void __throw_bad_typeid() { PANIC("libstdc++: std::bad_typeid"); }
void __throw_logic_error(const char* message) { PANIC("libstdc++: std::logic_error: %s", message); }
void __throw_domain_error(const char* message) { PANIC("libstdc++: std::domain_error: %s", message); }
void __throw_invalid_argument(const char* message) { PANIC("libstdc++: std::invalid_argument: %s", message); }
void __throw_length_error(const char* message) { PANIC("libstdc++: std::length_error: %s", message); }
void __throw_out_of_range(const char* message) { PANIC("libstdc++: std::out_of_range: %s", message); }
void __throw_runtime_error(const char* message) { PANIC("libstdc++: std::runtime_error: %s", message); }
void __throw_range_error(const char* message) { PANIC("libstdc++: std::range_error: %s", message); }
void __throw_overflow_error(const char* message) { PANIC("libstdc++: std::overflow_error: %s", message); }
void __throw_underflow_error(const char* message) { PANIC("libstdc++: std::underflow_error: %s", message); }
void __throw_ios_failure(const char* message) { PANIC("libstdc++: std::ios_base::failure: %s", message); }
void __throw_ios_failure(const char* message, int error) { PANIC("libstdc++: std::ios_base::failure: %s (error %d)", message, error); }
void __throw_system_error(int error) { PANIC("libstdc++: std::system_error (error %d)", error); }
void __throw_future_error(int error) { PANIC("libstdc++: std::future_error (error %d)", error); }
void __throw_bad_function_call() { PANIC("libstdc++: std::bad_function_call"); }

// libstdc++ formats these messages with %s, %zu and %% only, which keel's formatter has.
void __throw_out_of_range_fmt(const char* fmt, ...)
{
    char message[200];
    va_list args;
    va_start(args, fmt);
    keel::vformat(message, sizeof(message), fmt, args);
    va_end(args);
    PANIC("libstdc++: std::out_of_range: %s", message);
}

namespace __detail {

// The hashtable rehash policy, with libstdc++'s contract (bits/hashtable_policy.h):
// bucket counts are primes, _M_next_resize is the element count above which the table must
// grow (0: no buckets allocated yet), and it grows by _S_growth_factor.
std::size_t _Prime_rehash_policy::_M_next_bkt(std::size_t n) const
{
    // No elements: the table's one embedded bucket. _M_next_resize is left alone, so the
    // first insertion still finds nothing allocated and sizes the table.
    if (n == 0)
        return 1;
    std::size_t buckets = n < 2 ? 2 : n;
    while (!is_prime(buckets))
        ++buckets;
    _M_next_resize = floor_count(static_cast<double>(buckets) * _M_max_load_factor);
    return buckets;
}

std::pair<bool, std::size_t> _Prime_rehash_policy::_M_need_rehash(
    std::size_t n_bkt, std::size_t n_elt, std::size_t n_ins) const
{
    std::size_t wanted = n_elt + n_ins;
    if (wanted <= _M_next_resize)
        return { false, 0 };
    // The first insertion into a table with nothing allocated starts at about 11 buckets,
    // as libstdc++ does, rather than growing through 2, 5, 11.
    if (_M_next_resize == 0 && wanted < 11)
        wanted = 11;
    double min_buckets = static_cast<double>(wanted) / _M_max_load_factor;
    if (min_buckets >= static_cast<double>(n_bkt)) {
        std::size_t needed = floor_count(min_buckets) + 1;
        std::size_t grown = n_bkt * _S_growth_factor;
        return { true, _M_next_bkt(needed > grown ? needed : grown) };
    }
    // The buckets suffice (the threshold was stale, e.g. after a load factor change).
    _M_next_resize = floor_count(static_cast<double>(n_bkt) * _M_max_load_factor);
    return { false, 0 };
}

// std::list's node linking (bits/stl_list.h). A list is circular through its header node;
// an empty list's header points at itself.
void _List_node_base::swap(_List_node_base& x, _List_node_base& y) noexcept
{
    _List_node_base* x_next = x._M_next;
    _List_node_base* x_prev = x._M_prev;
    _List_node_base* y_next = y._M_next;
    _List_node_base* y_prev = y._M_prev;
    auto adopt = [](_List_node_base& header, _List_node_base* next, _List_node_base* prev, _List_node_base* old) {
        if (next == old) { // the other list was empty
            header._M_next = header._M_prev = &header;
            return;
        }
        header._M_next = next;
        header._M_prev = prev;
        next->_M_prev = &header;
        prev->_M_next = &header;
    };
    adopt(x, y_next, y_prev, &y);
    adopt(y, x_next, x_prev, &x);
}

// Moves [first, last) to just before this node.
void _List_node_base::_M_transfer(_List_node_base* const first, _List_node_base* const last) noexcept
{
    if (this == last || first == last)
        return;
    _List_node_base* before_first = first->_M_prev;
    _List_node_base* final_node = last->_M_prev;
    _List_node_base* before_this = _M_prev;
    before_first->_M_next = last;
    last->_M_prev = before_first;
    before_this->_M_next = first;
    first->_M_prev = before_this;
    final_node->_M_next = this;
    _M_prev = final_node;
}

// Reverses the list whose header this is: every node, header included, swaps its links.
void _List_node_base::_M_reverse() noexcept
{
    _List_node_base* node = this;
    do {
        _List_node_base* next = node->_M_next;
        node->_M_next = node->_M_prev;
        node->_M_prev = next;
        node = next;
    } while (node != this);
}

// Links this node in just before `position`.
void _List_node_base::_M_hook(_List_node_base* const position) noexcept
{
    _M_next = position;
    _M_prev = position->_M_prev;
    position->_M_prev->_M_next = this;
    position->_M_prev = this;
}

void _List_node_base::_M_unhook() noexcept
{
    _M_prev->_M_next = _M_next;
    _M_next->_M_prev = _M_prev;
}

} // namespace __detail
} // namespace std

// xbyak's default allocator (posix_memalign/free) and its page protection (mprotect,
// sysconf for the page size). keel gives xbyak its own allocator over the translation
// cache and never asks it to change protections, so these are only link-time imports.
// noexcept as glibc declares them (harmless here: C linkage, no exceptions).
extern "C" {
int posix_memalign(void**, size_t alignment, size_t size) noexcept
{
    PANIC("posix_memalign(%zu, %zu): xbyak's default allocator must never be used in the kernel", alignment, size);
}
void free(void* memory) noexcept
{
    PANIC("free(%p): xbyak's default allocator must never be used in the kernel", memory);
}
int mprotect(void* address, size_t size, int protection) noexcept
{
    PANIC("mprotect(%p, %zu, %d): xbyak must never change page protections in the kernel", address, size, protection);
}
long sysconf(int name) noexcept
{
    PANIC("sysconf(%d): xbyak's page protection must never be used in the kernel", name);
}
} // extern "C"
