// Deterministic randomness for case generation: every case is rebuilt bit for bit from
// (form, seed), so a failure report is enough to reproduce it.
#pragma once

#include <cstdint>
#include <string_view>

namespace keel::difftest {

// splitmix64 (Steele, Lea, Flood: "Fast splittable pseudorandom number generators",
// OOPSLA 2014): tiny, and every seed gives a good stream.
class Rng {
public:
    explicit Rng(uint64_t seed) : m_state(seed) {}

    uint64_t next() {
        uint64_t z = (m_state += 0x9E3779B97F4A7C15ull);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        return z ^ (z >> 31);
    }
    // Uniform in [0, n); n > 0. The modulo bias is irrelevant for test generation.
    uint64_t below(uint64_t n) { return next() % n; }
    // Uniform in [lo, hi].
    int64_t range(int64_t lo, int64_t hi) {
        return lo + static_cast<int64_t>(below(static_cast<uint64_t>(hi - lo) + 1));
    }
    bool percent(unsigned p) { return below(100) < p; }

private:
    uint64_t m_state;
};

// The seed of case `index` of `form` under `master`: FNV-1a of the form name mixed with
// the master seed and the index, so adding or renaming a form changes no other form's
// cases.
uint64_t case_seed(uint64_t master, std::string_view form, uint64_t index);

// Mask of the low `bits` bits (bits in 1..64).
constexpr uint64_t low_mask(unsigned bits) { return bits >= 64 ? ~0ull : (1ull << bits) - 1; }

// Sign-extends the low `bits` bits of v.
constexpr int64_t sign_extend(uint64_t v, unsigned bits) {
    if (bits >= 64) return static_cast<int64_t>(v);
    uint64_t sign = 1ull << (bits - 1);
    v &= low_mask(bits);
    return static_cast<int64_t>((v ^ sign) - sign);
}

// A value of `bits` bits (zero-extended) that is likely to hit an edge: 0, 1, all ones,
// the sign boundaries, single bits, small numbers, or plain random.
uint64_t interesting(Rng& rng, unsigned bits);

// `value` in the low `bits` bits and random garbage above, so a result that should not
// touch the upper part of a register (or memory word) shows it.
uint64_t with_garbage_above(Rng& rng, uint64_t value, unsigned bits);

}  // namespace keel::difftest
