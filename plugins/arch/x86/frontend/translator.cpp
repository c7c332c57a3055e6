#include "plugins/arch/x86/frontend/translator.h"
#include "dbt/plugin/page_translator.h"
#include "dbt/base/log.h"
#include "plugins/arch/x86/frontend/lower_table.h"
#include "plugins/arch/x86/mode.h"
#include "plugins/arch/x86/runtime/helpers.h"

namespace keel::x86 {

const LowerTable& lower_table()
{
    static LowerTable table;
    static bool built = false;
    if (!built) {
        register_data_movement(table);
        register_arithmetic(table);
        register_shifts(table);
        register_multiply_divide(table);
        register_bit_operations(table);
        register_control_flow(table);
        register_stack(table);
        register_flag_operations(table);
        register_strings(table);
        register_system(table);
        register_x87(table);
        register_legacy(table);
        built = true;
    }
    return table;
}

// Decodes one instruction and only its visible operands: the lowering never looks at the
// implicit ones (flags register, RSP of PUSH, ...), and skipping them is measurably faster.
// SSE4.1/4.2, BMI2 and MASKMOVDQU/MASKMOVQ are the exception: the lowering binds BLENDVPS's
// XMM0, PCMPESTRI's EAX, EDX and ECX, MULX's EDX, and MASKMOVDQU's [RDI], which no operand
// names.
ZyanStatus Translator::decode(const ZydisDecoder& decoder, const u8* bytes, usize length, DecodedInsn& d) const
{
    ZydisDecoderContext context;
    ZyanStatus status = ZydisDecoderDecodeInstruction(&decoder, &context, bytes, length, &d.insn);
    if (!ZYAN_SUCCESS(status))
        return status;
    bool implicit = d.insn.meta.isa_set == ZYDIS_ISA_SET_SSE4 || d.insn.meta.isa_set == ZYDIS_ISA_SET_SSE42
        || d.insn.meta.isa_set == ZYDIS_ISA_SET_BMI2 || d.insn.mnemonic == ZYDIS_MNEMONIC_MASKMOVDQU
        || d.insn.mnemonic == ZYDIS_MNEMONIC_MASKMOVQ;
    d.operands_decoded = implicit ? d.insn.operand_count : d.insn.operand_count_visible;
    return ZydisDecoderDecodeOperands(&decoder, &context, &d.insn, d.ops, d.operands_decoded);
}

Translator::Translator()
{
    // Compatibility mode decodes as legacy protected mode does (Intel SDM vol. 1 §3.2.1):
    // CS.D chooses 32- or 16-bit operand and address sizes.
    ZydisDecoderInit(&m_decoder64, ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64);
    ZydisDecoderInit(&m_decoder32, ZYDIS_MACHINE_MODE_LONG_COMPAT_32, ZYDIS_STACK_WIDTH_32);
    ZydisDecoderInit(&m_decoder16, ZYDIS_MACHINE_MODE_LONG_COMPAT_16, ZYDIS_STACK_WIDTH_16);
    ZydisDecoderInit(&m_legacy32, ZYDIS_MACHINE_MODE_LEGACY_32, ZYDIS_STACK_WIDTH_32);
    ZydisDecoderInit(&m_legacy16, ZYDIS_MACHINE_MODE_LEGACY_16, ZYDIS_STACK_WIDTH_16);
    // keel's CPU has no MPX (CPUID.7:EBX[14] clear): there, BNDMK, BNDMOV, BNDCL... are the
    // hint NOPs of 0F 1A/0F 1B they are encoded in, and the BND prefix on a branch means
    // nothing (the MPX chapter of the Intel SDM's editions that had it: MPX was encoded in
    // the NOP space so that older processors run it as NOPs). Valgrind's mpx test runs them.
    for (ZydisDecoder* decoder : { &m_decoder64, &m_decoder32, &m_decoder16, &m_legacy32, &m_legacy16 })
        ZydisDecoderEnableMode(decoder, ZYDIS_DECODER_MODE_MPX, ZYAN_FALSE);
}

const ZydisDecoder& Translator::decoder(u32 m) const
{
    if (m & mode::code64)
        return m_decoder64;
    if (m & mode::long_mode)
        return (m & mode::code32) ? m_decoder32 : m_decoder16;
    return (m & mode::code32) ? m_legacy32 : m_legacy16;
}

bool Translator::translate(const TranslationRequest& request, ir::Builder& b)
{
    // 64-bit code, compatibility-mode code (IA-32e mode with CS.L = 0), legacy
    // protected-mode code and real-mode code (docs/modes.md): the mode picks the decoder,
    // and segment bases are added wherever the mode is not flat.
    const ZydisDecoder& decoder = this->decoder(request.mode);
    // EIP (IP) wraps at the operand size's end (Intel SDM vol. 1 §3.6, vol. 3 §5.3).
    u64 pc_mask = (request.mode & mode::code64) ? ~0ull : (request.mode & mode::code32) ? 0xFFFFFFFFull : 0xFFFFull;
    const LowerTable& table = lower_table();
    b.block().mmu_index = mmu_index_for_cpl(mode::cpl(request.mode));
    Lowerer lw(b, request.mode);
    lw.direct_stores = request.direct_stores;
    u64 linear_delta = request.linear_pc - request.pc;
    u64 page_end = (request.linear_pc & guest_page_mask) + guest_page_size;
    u64 pc = request.pc;
    DecodedInsn d;
    d.pc_mask = pc_mask;
    bool end_at_dispatcher = false; // the previous instruction was an STI
    // Side exits taken so far (docs/ir.md#side-exits). The block ends where it reaches one
    // of their targets: that code is a block of its own anyway (the exit enters it), and
    // going on would translate it twice.
    u64 side_exit_targets[ir::max_side_exits];
    u32 side_exit_count = 0;

    for (u32 count = 0;; ++count) {
        u64 linear = pc + linear_delta;
        // Fetch up to the page end first, and across it only for an instruction that
        // straddles the boundary: the block then depends on the second page too.
        u8 bytes[ZYDIS_MAX_INSTRUCTION_LENGTH];
        usize within = page_end - linear < sizeof(bytes) ? page_end - linear : sizeof(bytes);
        usize n = request.fetcher->fetch(linear, bytes, within);
        ZyanStatus status = n ? decode(decoder, bytes, n, d) : ZYDIS_STATUS_NO_MORE_DATA;
        if (status == ZYDIS_STATUS_NO_MORE_DATA && n == within && within < sizeof(bytes)) {
            n += request.fetcher->fetch(linear + n, bytes + n, sizeof(bytes) - n);
            status = decode(decoder, bytes, n, d);
        }
        d.pc = pc;
        if (status == ZYDIS_STATUS_NO_MORE_DATA) {
            flush_deferred_xmm(lw);
            if (count > 0) {
                b.jump(pc); // the next block starts with it and takes the fault
                return true;
            }
            // The instruction's bytes run into a page that cannot be fetched: #PF there.
            b.begin_guest_insn(pc, 1);
            b.call(helpers::raise_fetch_fault, ir::Builder::imm64(linear + n));
            b.exit(ir::ExitReason::Dispatch);
            return true;
        }
        if (!ZYAN_SUCCESS(status)) {
            d.insn.length = 1;
            lw.begin(d);
            // Longer than 15 bytes: #GP(0); anything else undecodable: #UD (Intel SDM vol. 2 §2.3.11).
            if (status == ZYDIS_STATUS_INSTRUCTION_TOO_LONG)
                lw.raise(vector::GP, 0);
            else
                lw.raise(vector::UD);
            return true;
        }

        lw.begin(d);
        lw.allow_side_exit(request.side_exits && !end_at_dispatcher && side_exit_count < ir::max_side_exits && count + 1 < request.max_instructions);
        LowerFunction lower = table.functions[d.insn.mnemonic];
        if (!lower && uses_fpu_state(d.insn, d.ops))
            lower = lower_x87;
        else if (!lower && is_sse_instruction(d.insn))
            lower = lower_sse;
        if (lower != lower_sse)
            flush_deferred_xmm(lw); // only SSE instructions know what the host XMM registers hold
        Lowered result = lower ? lower(lw) : Lowered::Unimplemented;
        if (result == Lowered::Unimplemented) {
            u64& bits = m_unimplemented_logged[d.insn.mnemonic / 64];
            u64 bit = 1ull << (d.insn.mnemonic % 64);
            if (!(bits & bit)) {
                bits |= bit;
                if (log::enabled(log::Unimp)) {
                    // The bytes too: one mnemonic covers many forms (MOV to a debug register).
                    char hex[3 * ZYDIS_MAX_INSTRUCTION_LENGTH + 1] = {};
                    for (unsigned i = 0; i < d.insn.length && i < ZYDIS_MAX_INSTRUCTION_LENGTH; ++i) {
                        const char* digits = "0123456789abcdef";
                        hex[3 * i] = i ? ' ' : '\0';
                        hex[3 * i + 1] = digits[bytes[i] >> 4];
                        hex[3 * i + 2] = digits[bytes[i] & 15];
                    }
                    log::printf("unimp: %s (%s) at 0x%llx raises #UD (logged once)\n", ZydisMnemonicGetString(d.insn.mnemonic),
                        hex + 1, (unsigned long long)pc);
                }
            }
            lw.raise(vector::UD);
            return true;
        }
        if (result == Lowered::EndBlock)
            return true;
        lw.commit();
        pc = d.next_pc();
        u64 exit_target;
        if (lw.took_side_exit(exit_target))
            side_exit_targets[side_exit_count++] = exit_target;
        if (result == Lowered::Continue) {
            for (u32 i = 0; i < side_exit_count; ++i) {
                if (side_exit_targets[i] == pc) {
                    flush_deferred_xmm(lw);
                    b.jump(pc);
                    return true;
                }
            }
        }
        if (end_at_dispatcher) {
            flush_deferred_xmm(lw);
            // Through the lookup thunk, which returns to the dispatcher when exit_request
            // is set (the STI found an interrupt that may be deliverable now), and
            // otherwise goes on without it.
            b.jump_indirect(ir::Builder::imm64(pc));
            return true;
        }
        if (result == Lowered::EndAfterNext) {
            end_at_dispatcher = true;
            if (count + 1 >= request.max_instructions || pc + linear_delta >= page_end) {
                b.exit_to(ir::ExitReason::Dispatch, pc);
                return true;
            }
            continue;
        }
        if (count + 1 >= request.max_instructions || pc + linear_delta >= page_end) {
            flush_deferred_xmm(lw);
            b.jump(pc);
            return true;
        }
    }
}

} // namespace keel::x86
