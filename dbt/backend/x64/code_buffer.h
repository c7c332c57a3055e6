#pragma once
// The translation cache as xbyak sees it: one CodeGenerator over the whole region, handed
// to it by an allocator (TranslationCacheAllocator) instead of xbyak's own mmap. Blocks are
// emitted one after another; a flush rewinds to just after the permanent thunks.
#include "dbt/backend/x64/xbyak.h"
#include "dbt/runtime/host_services.h"

namespace keel::x64 {

class TranslationCacheAllocator final : public Xbyak::Allocator {
public:
    explicit TranslationCacheAllocator(CodeRegion region) : m_region(region) {}
    uint8_t* alloc(size_t size) override { return size <= m_region.size ? m_region.base : nullptr; }
    void free(uint8_t*) override {}
    // The region is RWX for its whole life; nothing to protect or unprotect per block.
    bool useProtect() const override { return false; }

private:
    CodeRegion m_region;
};

class CodeBuffer final : public Xbyak::CodeGenerator {
public:
    explicit CodeBuffer(CodeRegion region, TranslationCacheAllocator& allocator)
        : Xbyak::CodeGenerator(region.size, Xbyak::DontSetProtectRWE, &allocator) {}

    u8* cursor() { return const_cast<u8*>(getCurr()); }
    // Pads with INT3 to a multiple of `alignment` (xbyak's align() can print to stderr).
    void align_to(usize alignment)
    {
        while (reinterpret_cast<uptr>(getCurr()) % alignment)
            db(0xCC);
    }
    usize used() const { return getSize(); }
    usize capacity() const { return maxSize_; }
    usize remaining() const { return maxSize_ - getSize(); }
    void rewind_to(usize size) { setSize(size); }

    // Jumps whose rel32 is filled in later (cold paths, chaining). They return the
    // address of the rel32 field.
    u8* jmp_rel32_placeholder()
    {
        db(0xE9);
        dd(0);
        return cursor() - 4;
    }
    u8* jcc_rel32_placeholder(u8 condition)
    {
        db(0x0F);
        db(0x80 | (condition & 15));
        dd(0);
        return cursor() - 4;
    }
    // TEST with the operand order the other binary operations take.
    void test_operands(const Xbyak::Operand& a, const Xbyak::Operand& b) { test(a, static_cast<const Xbyak::Reg&>(b)); }

    // SETcc / CMOVcc by condition nibble (xbyak only has one method per condition).
    void setcc(u8 condition, const Xbyak::Reg8& dst)
    {
        using Set = void (Xbyak::CodeGenerator::*)(const Xbyak::Operand&);
        static constexpr Set table[16] = { &CodeGenerator::seto, &CodeGenerator::setno, &CodeGenerator::setb, &CodeGenerator::setae,
            &CodeGenerator::sete, &CodeGenerator::setne, &CodeGenerator::setbe, &CodeGenerator::seta, &CodeGenerator::sets,
            &CodeGenerator::setns, &CodeGenerator::setp, &CodeGenerator::setnp, &CodeGenerator::setl, &CodeGenerator::setge,
            &CodeGenerator::setle, &CodeGenerator::setg };
        (this->*table[condition & 15])(dst);
    }
    void cmovcc(u8 condition, const Xbyak::Reg& dst, const Xbyak::Operand& src)
    {
        using Cmov = void (Xbyak::CodeGenerator::*)(const Xbyak::Reg&, const Xbyak::Operand&);
        static constexpr Cmov table[16] = { &CodeGenerator::cmovo, &CodeGenerator::cmovno, &CodeGenerator::cmovb, &CodeGenerator::cmovae,
            &CodeGenerator::cmove, &CodeGenerator::cmovne, &CodeGenerator::cmovbe, &CodeGenerator::cmova, &CodeGenerator::cmovs,
            &CodeGenerator::cmovns, &CodeGenerator::cmovp, &CodeGenerator::cmovnp, &CodeGenerator::cmovl, &CodeGenerator::cmovge,
            &CodeGenerator::cmovle, &CodeGenerator::cmovg };
        (this->*table[condition & 15])(dst, src);
    }

    // Points a placeholder at `target` (always in range inside one block).
    static void bind(u8* rel32_site, const u8* target)
    {
        i32 rel = static_cast<i32>(target - (rel32_site + 4));
        __builtin_memcpy(rel32_site, &rel, 4);
    }
};

} // namespace keel::x64
