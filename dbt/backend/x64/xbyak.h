#pragma once
// xbyak as keel uses it: no exceptions (errors are read back with Xbyak::GetError() and
// turned into results at the call site), no mmap allocator (code goes into the
// translation cache the host gave us), no operator-name macros.
#ifndef XBYAK_NO_EXCEPTION
#define XBYAK_NO_EXCEPTION
#endif
#define XBYAK_DONT_USE_MMAP_ALLOCATOR
#define XBYAK_NO_OP_NAMES
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wall"
#pragma GCC diagnostic ignored "-Wextra"
#if defined(KEEL_FREESTANDING)
// xbyak keeps its error code in a thread_local; the kernel has one thread per CPU and no
// TLS, so in the freestanding build it is an ordinary static.
#define thread_local
#endif
#include <xbyak/xbyak.h>
#if defined(KEEL_FREESTANDING)
#undef thread_local
#endif
#pragma GCC diagnostic pop
