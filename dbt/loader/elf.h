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
constexpr u32 pt_dynamic = 2;
constexpr u32 pt_interp = 3;
constexpr u32 pt_tls = 7;
constexpr u32 pt_gnu_stack = 0x6474e551;
constexpr u32 pt_gnu_relro = 0x6474e552;
constexpr u32 pf_x = 1, pf_w = 2, pf_r = 4;

// Dynamic section tags (gABI, "Dynamic Section"; GNU extensions).
constexpr i64 dt_null = 0, dt_needed = 1, dt_pltrelsz = 2, dt_hash = 4, dt_strtab = 5, dt_symtab = 6, dt_rela = 7,
              dt_relasz = 8, dt_relaent = 9, dt_strsz = 10, dt_syment = 11, dt_init = 12, dt_rel = 17, dt_pltrel = 20,
              dt_textrel = 22, dt_jmprel = 23, dt_init_array = 25, dt_init_arraysz = 27, dt_gnu_hash = 0x6ffffef5;

// x86-64 relocation types (psABI, table 4.9).
constexpr u32 r_x86_64_none = 0, r_x86_64_64 = 1, r_x86_64_glob_dat = 6, r_x86_64_jump_slot = 7,
              r_x86_64_relative = 8;

constexpr u16 shn_undef = 0;
constexpr u8 stb_local = 0, stb_global = 1, stb_weak = 2;

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

struct Dynamic {
    i64 tag;
    u64 value;
};
static_assert(sizeof(Dynamic) == 16);

struct Rela {
    u64 offset;
    u64 info; // symbol index << 32 | type
    i64 addend;
};
static_assert(sizeof(Rela) == 24);

} // namespace keel::elf
