#pragma once
// The text-mode side of a VGA (IBM VGA Technical Reference, "Video Memory Organization"
// and "CRT Controller Registers"): the colour text buffer at 0xB8000-0xBFFFF (cells of
// character + attribute), the CRT controller's index/data ports 0x3D4/0x3D5 and Input
// Status Register 1 at 0x3DA. The screen is mirrored to the host console as plain text
// lines by flush(). docs/devices/vga_text.md says what is modelled and what is not.
#include "dbt/plugin/device.h"

namespace keel::devices {

class VgaText final : public Device {
public:
    using Output = void (*)(void* context, const char* bytes, usize length);

    static constexpr u64 mmio_base = 0xB8000;
    static constexpr u64 mmio_size = 0x8000; // 32 KiB: 0xB8000-0xBFFFF
    static constexpr u16 crtc_index_port = 0x3D4;
    static constexpr u16 crtc_data_port = 0x3D5;
    static constexpr u16 input_status_port = 0x3DA;
    static constexpr u32 columns = 80;
    static constexpr u32 rows = 25;
    static constexpr u32 crtc_register_count = 0x19; // CR00-CR18
    static constexpr u8 state_version = 1;

    // `output` (may be null) receives the "vga: ..." lines flush() emits.
    VgaText(Output output, void* output_context);

    const char* name() const override { return "vga_text"; }
    void reset() override;
    void save(StateWriter& out) const override;
    Result<void> restore(StateReader& in) override;
    void describe(StringBuilder& out) const override;

    // Ports 0x3D4-0x3D5 and 0x3DA (wire both ranges to this device).
    u32 io_read(u16 port, unsigned size) override;
    void io_write(u16 port, u32 value, unsigned size) override;
    // `offset` is from mmio_base; 1, 2, 4 or 8 bytes, little-endian.
    u64 mmio_read(u64 offset, unsigned size) override;
    void mmio_write(u64 offset, u64 value, unsigned size) override;

    // The console mirror: every screen row whose text changed since the last flush, as
    // "vga: <text, trailing spaces trimmed>\n", top to bottom. Called by the host
    // periodically and at exit; cheap when nothing was written.
    void flush();
    void run_ended() override { flush(); }

    // Row `row` (0-24) of the screen as displayed (from the start address), as 80 plain
    // characters, not NUL-terminated.
    void screen_text(u32 row, char* out80) const;

    struct Cursor {
        u32 row, column;
        bool visible; // not disabled (CR0A bit 5) and on the screen
    };
    Cursor cursor() const;
    u16 cursor_address() const { return static_cast<u16>(m_crtc[0x0E] << 8 | m_crtc[0x0F]); }
    u16 start_address() const { return static_cast<u16>(m_crtc[0x0C] << 8 | m_crtc[0x0D]); }
    u8 crtc_register(u8 index) const { return index < crtc_register_count ? m_crtc[index] : 0xFF; }

private:
    u8 read_port(u16 port);
    void write_port(u16 port, u8 value);

    Output m_output;
    void* m_output_context;
    u8 m_crtc[crtc_register_count];
    u8 m_crtc_index = 0;
    u8 m_status = 0; // Input Status 1 as last read (bits 0 and 3 toggle)
    bool m_dirty = true;                 // written since the last flush (host-side only)
    char m_shown[rows][columns];         // what the console was last shown (host-side only)
    u8 m_memory[mmio_size];
};

} // namespace keel::devices
