// The C++ runtime the kernel provides itself (it links no libstdc++ or libsupc++):
// operator new/delete on the kernel heap, the Itanium C++ ABI hooks GCC emits calls to,
// and the global constructors.
#include <new>
#include "dbt/base/assert.h"
#include "kernel/mm/heap.h"
#include "kernel/runtime/runtime.h"

using keel::usize;
using keel::kernel::heap::kernel_heap;

namespace {

// Throwing forms: the kernel has no exceptions, and running out of heap is fatal anyway.
void* allocate_or_panic(usize size, usize alignment)
{
    void* memory = kernel_heap().allocate(size, alignment);
    if (!memory)
        PANIC("kernel heap exhausted: %zu bytes requested, %llu in use", size,
            static_cast<unsigned long long>(kernel_heap().stats().bytes_in_use));
    return memory;
}

// A sized delete must not name more than the block holds: a mismatch means the object was
// deleted through the wrong type.
void free_sized(void* memory, usize size)
{
    if (!memory)
        return;
    usize held = kernel_heap().allocation_size(memory);
    if (size > held)
        PANIC("operator delete(%p, %zu): the block holds only %zu bytes", memory, size, held);
    kernel_heap().free(memory);
}

constexpr usize default_alignment = __STDCPP_DEFAULT_NEW_ALIGNMENT__;

} // namespace

void* operator new(usize size) { return allocate_or_panic(size, default_alignment); }
void* operator new[](usize size) { return allocate_or_panic(size, default_alignment); }
void* operator new(usize size, std::align_val_t alignment) { return allocate_or_panic(size, usize(alignment)); }
void* operator new[](usize size, std::align_val_t alignment) { return allocate_or_panic(size, usize(alignment)); }

// The nothrow forms keep their contract (null on failure): their callers check.
void* operator new(usize size, const std::nothrow_t&) noexcept { return kernel_heap().allocate(size, default_alignment); }
void* operator new[](usize size, const std::nothrow_t&) noexcept { return kernel_heap().allocate(size, default_alignment); }
void* operator new(usize size, std::align_val_t alignment, const std::nothrow_t&) noexcept
{
    return kernel_heap().allocate(size, usize(alignment));
}
void* operator new[](usize size, std::align_val_t alignment, const std::nothrow_t&) noexcept
{
    return kernel_heap().allocate(size, usize(alignment));
}

// The heap knows every block's size and alignment, so every delete is a plain free.
void operator delete(void* memory) noexcept { kernel_heap().free(memory); }
void operator delete[](void* memory) noexcept { kernel_heap().free(memory); }
void operator delete(void* memory, usize size) noexcept { free_sized(memory, size); }
void operator delete[](void* memory, usize size) noexcept { free_sized(memory, size); }
void operator delete(void* memory, std::align_val_t) noexcept { kernel_heap().free(memory); }
void operator delete[](void* memory, std::align_val_t) noexcept { kernel_heap().free(memory); }
void operator delete(void* memory, usize size, std::align_val_t) noexcept { free_sized(memory, size); }
void operator delete[](void* memory, usize size, std::align_val_t) noexcept { free_sized(memory, size); }
void operator delete(void* memory, const std::nothrow_t&) noexcept { kernel_heap().free(memory); }
void operator delete[](void* memory, const std::nothrow_t&) noexcept { kernel_heap().free(memory); }
void operator delete(void* memory, std::align_val_t, const std::nothrow_t&) noexcept { kernel_heap().free(memory); }
void operator delete[](void* memory, std::align_val_t, const std::nothrow_t&) noexcept { kernel_heap().free(memory); }

// Itanium C++ ABI hooks (itanium-cxx-abi.github.io/cxx-abi/abi.html, 3.2.6 and 3.3.5).
extern "C" {

// Hidden like crtbegin.o's: the kernel is one image, and a default-visibility data symbol
// would need a dynamic relocation gnu-efi cannot apply.
__attribute__((visibility("hidden"))) void* __dso_handle = nullptr;

[[noreturn]] void __cxa_pure_virtual() { PANIC("pure virtual function called"); }
[[noreturn]] void __cxa_deleted_virtual() { PANIC("deleted virtual function called"); }

// Destructors of globals are registered here (atexit with -fno-use-cxa-atexit, as the
// kernel builds; __cxa_atexit otherwise). The kernel never exits normally (it halts or
// tells QEMU to exit), so they are never run and need not be kept.
int atexit(void (*)()) { return 0; }
int __cxa_atexit(void (*)(void*), void*, void*) { return 0; }

// Bounds of .init_array, defined by kernel/efi.lds. Hidden: referenced PC-relative, with
// no GOT entry.
using InitFunction = void (*)();
extern InitFunction __init_array_start[] __attribute__((visibility("hidden")));
extern InitFunction __init_array_end[] __attribute__((visibility("hidden")));

} // extern "C"

namespace keel::kernel::runtime {

void run_global_constructors()
{
    static bool done = false;
    VERIFY(!done);
    done = true;
    // .init_array holds plain function pointers in order, with no count or sentinels (unlike
    // .ctors; System V gABI, "Initialization and Termination Functions").
    for (InitFunction* function = __init_array_start; function != __init_array_end; ++function)
        (*function)();
}

} // namespace keel::kernel::runtime
