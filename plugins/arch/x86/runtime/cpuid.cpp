#include "plugins/arch/x86/runtime/cpuid.h"
#include "dbt/plugin/arch_services.h"
#include "plugins/arch/x86/page_walk.h"
#include "plugins/arch/x86/runtime/host_cpu.h"

namespace keel::x86 {
namespace {

constexpr u32 max_basic_leaf = 0x7;
constexpr u32 max_extended_leaf = 0x80000008;

u32 vendor_word(const char* s) { return u32(u8(s[0])) | u32(u8(s[1])) << 8 | u32(u8(s[2])) << 16 | u32(u8(s[3])) << 24; }

// Leaf 1 EDX/ECX and leaf 0x80000001 bits keel implements (Intel SDM vol. 2, CPUID,
// tables 3-10, 3-11). x87, MMX, FXSR and SSE to SSE4.2 run as host instructions
// (docs/x87.md, docs/sse.md; what MXCSR does not model is listed there; the backend refuses
// a host without SSE4.2); x86-64 Linux refuses to boot without SSE2. AES, PCLMULQDQ, MOVBE
// and BMI2 run as host instructions too, so they are advertised where the host has them
// (host_cpu.h), and RDRAND, whose numbers come from the host's. Absent until they are
// complete: MONITOR/MWAIT, AVX, RDSEED,
// MCE/MCA, PAT, MTRR, x2APIC. PSE and PAE name the page-size bit and the 64-bit entry
// format that 4-level paging uses; PGE is honest because flushing global entries too is
// allowed.
constexpr u32 leaf1_edx = (1u << 0)    // FPU: x87
                        | (1u << 3)    // PSE: large pages
                        | (1u << 4)    // TSC
                        | (1u << 5)    // MSR: RDMSR/WRMSR
                        | (1u << 6)    // PAE
                        | (1u << 8)    // CX8: CMPXCHG8B
                        | (1u << 11)   // SEP: SYSENTER/SYSEXIT (Intel's, in every protected mode)
                        | (1u << 13)   // PGE (keel flushes global pages too, which is allowed)
                        | (1u << 15)   // CMOV
                        | (1u << 19)   // CLFSH: CLFLUSH (a byte load's checks; line size in leaf 1 EBX)
                        | (1u << 23)   // MMX
                        | (1u << 24)   // FXSR: FXSAVE/FXRSTOR
                        | (1u << 25)   // SSE
                        | (1u << 26);  // SSE2
constexpr u32 leaf1_ecx = (1u << 0)    // SSE3
                        | (1u << 9)    // SSSE3
                        | (1u << 13)   // CX16: CMPXCHG16B
                        | (1u << 19)   // SSE4.1
                        | (1u << 20)   // SSE4.2 (PCMPxSTRx, PCMPGTQ, CRC32)
                        | (1u << 23)   // POPCNT
                        | (1u << 31);  // running under a hypervisor
constexpr u32 ext1_edx = (1u << 11)    // SYSCALL/SYSRET (in 64-bit mode)
                       | (1u << 20)    // NX
                       | (1u << 26)    // 1-GiB pages
                       | (1u << 27)    // RDTSCP
                       | (1u << 29);   // LM: long mode
constexpr u32 ext1_ecx = (1u << 0)     // LAHF/SAHF in 64-bit mode
                       | (1u << 5);    // ABM: LZCNT
constexpr u32 leaf1_ecx_pclmulqdq = 1u << 1, leaf1_ecx_movbe = 1u << 22, leaf1_ecx_aes = 1u << 25, leaf1_ecx_rdrand = 1u << 30;
constexpr u32 leaf7_ebx_bmi1 = 1u << 3, leaf7_ebx_bmi2 = 1u << 8, leaf7_ebx_adx = 1u << 19;
constexpr u32 leaf7_edx_arch_capabilities = 1u << 29; // IA32_ARCH_CAPABILITIES (msr.h)
constexpr u32 leaf1_edx_apic = 1u << 9;          // APIC: an xAPIC at IA32_APIC_BASE
constexpr u32 leaf1_ecx_tsc_deadline = 1u << 24; // TSC-deadline mode of the APIC timer
constexpr u32 msr_apic_base = 0x1B;

u32 host_leaf1_ecx()
{
    const HostCpu& host = host_cpu();
    return (host.pclmulqdq ? leaf1_ecx_pclmulqdq : 0) | (host.movbe ? leaf1_ecx_movbe : 0) | (host.aes ? leaf1_ecx_aes : 0)
        | (host.rdrand ? leaf1_ecx_rdrand : 0);
}

} // namespace

CpuidPlatform cpuid_platform(CpuContext& ctx)
{
    u64 ignored;
    return { ctx.services->device_msr_read(msr_apic_base, ignored) == MsrAccess::Done };
}

CpuidResult cpuid(u32 leaf, u32 subleaf, const CpuidPlatform& platform)
{
    switch (leaf) {
    case 0:
        return { max_basic_leaf, vendor_word("Keel"), vendor_word("Keel"), vendor_word("KVir") }; // "KeelKVirKeel"
    case 1:
        // Family 6, model 0x3A-like numbering is not claimed: family 6 model 1 stepping 0.
        // EBX: CLFLUSH line 8 * 8 = 64 bytes, one logical processor, APIC ID 0.
        return { 0x00000610, (8u << 8) | (1u << 16), leaf1_ecx | host_leaf1_ecx() | (platform.local_apic ? leaf1_ecx_tsc_deadline : 0),
            leaf1_edx | (platform.local_apic ? leaf1_edx_apic : 0) };
    case 7:
        // Subleaf 0: EBX bit 3 BMI1 (ANDN, BEXTR, BLSI, BLSMSK, BLSR, TZCNT), bit 19 ADX
        // (ADCX, ADOX: lowered to the IR, lower_alu.cpp); BMI2 where the host has it. EDX
        // bit 29: the IA32_ARCH_CAPABILITIES MSR exists (msr.h says what it reports).
        return subleaf == 0 ? CpuidResult { 0, leaf7_ebx_bmi1 | leaf7_ebx_adx | (host_cpu().bmi2 ? leaf7_ebx_bmi2 : 0), 0,
                                  leaf7_edx_arch_capabilities }
                            : CpuidResult { 0, 0, 0, 0 };
    case 0x80000000:
        return { max_extended_leaf, 0, 0, 0 };
    case 0x80000001:
        return { 0, 0, ext1_ecx, ext1_edx };
    case 0x80000002: return { vendor_word("keel"), vendor_word(" DBT"), vendor_word(" vir"), vendor_word("tual") };
    case 0x80000003: return { vendor_word(" CPU"), 0, 0, 0 };
    case 0x80000004: return { 0, 0, 0, 0 };
    case 0x80000008:
        return { max_physical_address_bits | (48u << 8), 0, 0, 0 };
    default:
        // Intel: leaves above the maximum return the highest basic leaf's data; zeros
        // for the ones in range keel leaves empty.
        if (leaf > max_basic_leaf && leaf < 0x80000000)
            return cpuid(max_basic_leaf, subleaf, platform);
        return { 0, 0, 0, 0 };
    }
}

} // namespace keel::x86
