#include "tests/diff/rng.h"

namespace keel::difftest {

uint64_t case_seed(uint64_t master, std::string_view form, uint64_t index) {
    uint64_t h = 0xCBF29CE484222325ull;  // FNV-1a 64
    for (char c : form) {
        h ^= static_cast<uint8_t>(c);
        h *= 0x100000001B3ull;
    }
    Rng mix(h ^ (master * 0x9E3779B97F4A7C15ull) ^ (index << 32 | index));
    return mix.next();
}

uint64_t interesting(Rng& rng, unsigned bits) {
    const uint64_t mask = low_mask(bits);
    const uint64_t sign = 1ull << (bits - 1);
    switch (rng.below(16)) {
        case 0: return 0;
        case 1: return 1;
        case 2: return mask;                          // -1
        case 3: return sign;                          // most negative
        case 4: return sign - 1;                      // most positive
        case 5: return (sign + 1) & mask;             // most negative + 1
        case 6: return (mask - 1) & mask;             // -2
        case 7: return (1ull << rng.below(bits)) & mask;          // one bit
        case 8: return ~(1ull << rng.below(bits)) & mask;         // all bits but one
        case 9: return rng.below(256) & mask;                      // small
        case 10: return (0 - rng.below(256)) & mask;               // small negative
        case 11: {  // a narrower type's boundary, seen through a wider register
            static constexpr uint64_t edges[] = {0x7F, 0x80, 0xFF, 0x100, 0x7FFF, 0x8000,
                                                 0xFFFF, 0x10000, 0x7FFFFFFF, 0x80000000,
                                                 0xFFFFFFFF, 0x100000000};
            return edges[rng.below(sizeof edges / sizeof edges[0])] & mask;
        }
        default: return rng.next() & mask;            // plain random, most of the time
    }
}

uint64_t with_garbage_above(Rng& rng, uint64_t value, unsigned bits) {
    return (rng.next() & ~low_mask(bits)) | (value & low_mask(bits));
}

}  // namespace keel::difftest
