#pragma once
#include "dbt/base/assert.h"
#include "dbt/ir/type.h"

namespace keel::ir {

// An instruction argument: nothing, an immediate, or the result of an earlier instruction
// of the same block (SSA: every instruction defines at most one value, once).
class Value {
public:
    enum class Kind : u8 { None, Imm, Inst };

    constexpr Value() = default;
    static constexpr Value imm(Type type, u64 bits) { return Value(Kind::Imm, type, bits & type_mask(type)); }
    static constexpr Value of_inst(Type type, u32 index) { return Value(Kind::Inst, type, index); }

    bool is_none() const { return m_kind == Kind::None; }
    bool is_imm() const { return m_kind == Kind::Imm; }
    bool is_inst() const { return m_kind == Kind::Inst; }
    Kind kind() const { return m_kind; }
    Type type() const { return m_type; }

    u64 imm_value() const { VERIFY(is_imm()); return m_payload; }
    // The immediate sign-extended from its type's width.
    i64 imm_signed() const
    {
        unsigned bits = bit_width(m_type);
        u64 v = imm_value();
        if (bits >= 64)
            return static_cast<i64>(v);
        u64 sign = 1ull << (bits - 1);
        return static_cast<i64>((v ^ sign) - sign);
    }
    u32 index() const { VERIFY(is_inst()); return static_cast<u32>(m_payload); }

    bool operator==(const Value& o) const { return m_kind == o.m_kind && m_type == o.m_type && m_payload == o.m_payload; }

private:
    constexpr Value(Kind kind, Type type, u64 payload) : m_payload(payload), m_type(type), m_kind(kind) {}
    u64 m_payload = 0;
    Type m_type = Type::Void;
    Kind m_kind = Kind::None;
};

} // namespace keel::ir
