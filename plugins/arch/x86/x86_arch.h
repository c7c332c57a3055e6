#pragma once
// The x86-64 guest architecture (dbt/plugin/arch.h).
#include "dbt/plugin/arch.h"
#include "plugins/arch/x86/frontend/translator.h"

namespace keel::x86 {

class X86Arch final : public Arch {
public:
    const char* name() const override { return "x86_64"; }
    void reset(CpuContext& ctx) override;
    u32 fetch_mmu_index(u32 mode) const override;
    bool translate_block(const TranslationRequest& request, ir::Builder& builder) override;
    bool translate(CpuContext& ctx, u64 vaddr, Access access, u32 mmu_index, u32 flags, Translation& out) override;
    bool has_pending_event(const CpuContext& ctx) const override;
    DeliveryResult deliver_pending_event(CpuContext& ctx) override;
    bool can_wake_from_halt(const CpuContext& ctx) const override;
    bool can_take_interrupt(const CpuContext& ctx) const override;
    void raise_external_interrupt(CpuContext& ctx, u8 vector) override;
    void raise_divide_error(CpuContext& ctx) override;
    void raise_exception(CpuContext& ctx, u8 vector, bool has_error, u32 error) override;
    void dump_state(const CpuContext& ctx, StringBuilder& out) const override;
    void describe_mappings(const CpuContext& ctx, MappingView view, StringBuilder& out) const override;
    u64 test_image_limit(u64 ram_size) const override;
    Result<void> enter_test_state(CpuContext& ctx, u64 entry) override;
    Result<void> enter_linux_boot(CpuContext& ctx, u64 entry, u64 boot_params) override;
    Result<void> enter_linux_boot32(CpuContext& ctx, u64 entry, u64 boot_params) override;
    Result<void> enter_multiboot(CpuContext& ctx, u64 entry, u64 gdt, u32 magic, u32 info) override;
    ir::StateNamer state_namer() const override;
    void disassemble(const u8* code, usize length, u64 pc, u32 mode, StringBuilder& out) const override;
    const char* unsupported_reason(u32 mode) const override;
    void set_a20(CpuContext& ctx, bool enabled) override;

private:
    Translator m_translator;
};

} // namespace keel::x86
