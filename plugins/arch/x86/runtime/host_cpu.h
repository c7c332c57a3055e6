#pragma once
// What the host CPU keel runs on offers beyond what the backend requires of it
// (dbt/backend/x64/host_features.cpp: POPCNT, LZCNT, BMI1, SSE3 to SSE4.2). The guest
// instructions keel runs as the same host instruction (docs/sse.md) exist for the guest
// only where the host has them: CPUID advertises them then, and the translator lowers them
// then; elsewhere they are #UD, as on a CPU without them.
namespace keel::x86 {

struct HostCpu {
    bool aes;       // AESENC... (CPUID.1:ECX[25])
    bool pclmulqdq; // PCLMULQDQ (CPUID.1:ECX[1])
    bool movbe;     // MOVBE (CPUID.1:ECX[22])
    bool rdrand;    // RDRAND (CPUID.1:ECX[30])
    bool bmi2;      // BZHI, MULX, PDEP, PEXT, RORX, SARX, SHLX, SHRX (CPUID.7.0:EBX[8])
};

// Read once with the host's CPUID (Intel SDM vol. 2, CPUID), then cached.
const HostCpu& host_cpu();

} // namespace keel::x86
