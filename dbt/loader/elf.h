#pragma once
// The parts of the ELF64 format keel reads (System V ABI, "ELF-64 Object File Format").
// Defined here because the freestanding build has no <elf.h>.
#include "dbt/base/types.h"

namespace keel::elf {

constexpr u8 magic[4] = { 0x7F, 'E', 'L', 'F' };
constexpr u8 class64 = 2;
constexpr u8 data_little_endian = 1;
constexpr u16 type_exec = 2;
constexpr u16 type_dyn = 3;
constexpr u16 machine_x86_64 = 62;
constexpr u32 pt_load = 1;

struct Header {
    u8 ident[16];
    u16 type;
    u16 machine;
    u32 version;
    u64 entry;
    u64 phoff;
    u64 shoff;
    u32 flags;
    u16 ehsize;
    u16 phentsize;
    u16 phnum;
    u16 shentsize;
    u16 shnum;
    u16 shstrndx;
};
static_assert(sizeof(Header) == 64);

struct ProgramHeader {
    u32 type;
    u32 flags;
    u64 offset;
    u64 vaddr;
    u64 paddr;
    u64 filesz;
    u64 memsz;
    u64 align;
};
static_assert(sizeof(ProgramHeader) == 56);

struct SectionHeader {
    u32 name;
    u32 type;
    u64 flags;
    u64 addr;
    u64 offset;
    u64 size;
    u32 link;
    u32 info;
    u64 addralign;
    u64 entsize;
};
static_assert(sizeof(SectionHeader) == 64);

struct Symbol {
    u32 name;
    u8 info;
    u8 other;
    u16 shndx;
    u64 value;
    u64 size;
};
static_assert(sizeof(Symbol) == 24);

} // namespace keel::elf
