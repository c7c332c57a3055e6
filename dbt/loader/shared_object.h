#pragma once
// keel's own loader for ELF64 shared objects (ET_DYN, x86-64): the plugins. One loader for
// both hosts; each supplies the memory (ImageMemory) and what imports resolve to
// (SymbolResolver). It maps the PT_LOAD segments into one reserved range, applies the
// relocations a -fPIC, -nostdlib plugin has (RELATIVE, 64, GLOB_DAT, JUMP_SLOT; psABI
// §4.4), then makes text read-execute and data read-write, never both (W^X), and RELRO
// read-only. Constructors are the caller's to run (init_functions()), after it has checked
// whatever it must check first (the plugin ABI version: dbt/loader/plugin_loader.h).
#include "dbt/base/result.h"
#include "dbt/base/vector.h"

namespace keel {

class ImageMemory {
public:
    virtual ~ImageMemory() = default;
    // A page-aligned, zeroed, readable and writable range; null when none can be had.
    virtual u8* reserve(usize size) = 0;
    virtual void release(u8* base, usize size) = 0;
    // Final protection of a page-aligned part of a reserved range.
    virtual Result<void> protect(u8* address, usize size, bool writable, bool executable) = 0;
};

class SymbolResolver {
public:
    virtual ~SymbolResolver() = default;
    // The address of a symbol the host exports, or 0 when it has none of that name.
    virtual u64 resolve(const char* name) = 0;
};

class SharedObject {
public:
    // `name` names the file in error messages.
    static Result<SharedObject*> load(const u8* file, usize size, const char* name, ImageMemory& memory, SymbolResolver& imports);
    ~SharedObject();

    // A symbol the object defines (and exports), or 0.
    u64 lookup(const char* name) const;
    // The constructors: DT_INIT, then DT_INIT_ARRAY in order (gABI, "Initialization and
    // Termination Functions").
    const Vector<u64>& init_functions() const { return m_init; }
    // Whether the host range [address, address + length) lies in the loaded image: what a
    // caller checks before it reads or calls an address the file supplied.
    bool contains(u64 address, u64 length) const;
    // Whether a NUL-terminated string starts at `address` and ends inside the image.
    bool contains_string(u64 address) const;
    u8* base() const { return m_base; }
    usize size() const { return m_size; }

private:
    SharedObject(ImageMemory& memory) : m_memory(memory) {}

    ImageMemory& m_memory;
    u8* m_base = nullptr; // where the object's address 0 is
    usize m_size = 0;
    u8* m_reserved = nullptr;
    usize m_reserved_size = 0;
    const u8* m_symbols = nullptr; // in the loaded image
    u32 m_symbol_count = 0;
    const char* m_strings = nullptr;
    u64 m_strings_size = 0;
    Vector<u64> m_init;

    friend class SharedObjectLoader;
};

} // namespace keel
