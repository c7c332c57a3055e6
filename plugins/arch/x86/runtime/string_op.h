#pragma once
// How the frontend describes a REP-prefixed string instruction to the rep_string helper.
#include "dbt/base/types.h"

namespace keel::x86::string_op {

enum Kind : u8 { Movs, Stos, Lods, Cmps, Scas };
enum Repeat : u8 { Rep, RepE, RepNE }; // REP (MOVS/STOS/LODS), REPE/REPZ, REPNE/REPNZ

struct Description {
    Kind kind;
    Repeat repeat;
    u8 size;           // element size in bytes
    bool address32;    // 67h prefix: RSI/RDI/RCX are used as ESI/EDI/ECX
    u8 source_segment; // x86::SegmentIndex of the RSI operand (DS unless overridden)
};

inline u64 encode(const Description& d)
{
    return d.kind | (u64(d.repeat) << 8) | (u64(d.size) << 16) | (u64(d.address32) << 24) | (u64(d.source_segment) << 32);
}

inline Description decode(u64 v)
{
    return { static_cast<Kind>(v & 0xFF), static_cast<Repeat>((v >> 8) & 0xFF), static_cast<u8>((v >> 16) & 0xFF),
        ((v >> 24) & 1) != 0, static_cast<u8>((v >> 32) & 0xFF) };
}

} // namespace keel::x86::string_op
