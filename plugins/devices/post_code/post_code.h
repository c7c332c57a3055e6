#pragma once
// The POST code port at 0x80: firmware writes progress codes there (shown on a diagnostic
// card's display), and Linux writes it as an I/O delay (arch/x86/include/asm/io.h,
// native_io_delay), so writes must be cheap. docs/devices/post_code.md.
#include "dbt/plugin/device.h"

namespace keel::devices {

class PostCode final : public Device {
public:
    using Log = void (*)(void* context, const char* text, usize length);

    static constexpr u16 port = 0x80;
    static constexpr u8 state_version = 1;

    // `log` (may be null: codes are only remembered) receives "POST code 0xNN\n" for every
    // write. Hosts pass it only when POST logging is asked for: Linux's I/O delays alone
    // are thousands of writes.
    PostCode(Log log, void* log_context) : m_log(log), m_log_context(log_context) {}

    const char* name() const override { return "post_code"; }
    void reset() override { m_code = 0, m_writes = 0; }
    void save(StateWriter& out) const override;
    Result<void> restore(StateReader& in) override;
    void describe(StringBuilder& out) const override;

    // Reads return the last code written (the PC's port 0x80 is a spare DMA page register,
    // a latch that reads back; QEMU returns all ones instead).
    u32 io_read(u16 port, unsigned size) override;
    void io_write(u16 port, u32 value, unsigned size) override;

    u8 last_code() const { return m_code; }
    u64 writes() const { return m_writes; } // since reset, for the monitor

private:
    Log m_log;
    void* m_log_context;
    u8 m_code = 0;
    u64 m_writes = 0;
};

} // namespace keel::devices
