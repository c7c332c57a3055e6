#include "plugins/devices/vga_text/vga_text.h"

// Section names below are those of the IBM VGA Technical Reference (Personal System/2
// Hardware Interface Technical Reference, "Video Subsystem").
namespace keel::devices {
namespace {
// CRT controller registers as the BIOS programs them for mode 03h (80x25 colour text;
// "BIOS Video Modes", mode 3+ parameter table): cursor lines 13-14, start address 0.
constexpr u8 mode3_crtc[VgaText::crtc_register_count] = {
    0x5F, 0x4F, 0x50, 0x82, 0x55, 0x81, 0xBF, 0x1F, 0x00, 0x4F, 0x0D, 0x0E, 0x00,
    0x00, 0x00, 0x00, 0x9C, 0x8E, 0x8F, 0x28, 0x1F, 0x96, 0xB9, 0xA3, 0xFF,
};
enum : u8 { CURSOR_START = 0x0A, CURSOR_END = 0x0B, START_HIGH = 0x0C, START_LOW = 0x0D,
            CURSOR_HIGH = 0x0E, CURSOR_LOW = 0x0F, VRETRACE_END = 0x11 };
constexpr u8 status_display_disabled = 0x01, status_vretrace = 0x08; // Input Status 1
constexpr u8 blank_attribute = 0x07;                                 // light grey on black

// The console shows plain ASCII: CP437's blanks (00h, FFh) become spaces, the rest of
// the graphic characters outside printable ASCII a '?'.
char plain(u8 c)
{
    if (c >= 0x20 && c < 0x7F)
        return static_cast<char>(c);
    return c == 0x00 || c == 0xFF ? ' ' : '?';
}
} // namespace

VgaText::VgaText(Output output, void* output_context) : m_output(output), m_output_context(output_context)
{
    reset();
}

void VgaText::reset()
{
    for (u32 i = 0; i < crtc_register_count; ++i)
        m_crtc[i] = mode3_crtc[i];
    m_crtc_index = 0;
    m_status = 0;
    // Video memory is undefined at power-on; a blank screen (space, grey on black) is
    // what the BIOS leaves after setting mode 3.
    for (u64 i = 0; i < mmio_size; i += 2)
        m_memory[i] = ' ', m_memory[i + 1] = blank_attribute;
    for (auto& row : m_shown)
        for (char& c : row)
            c = ' ';
    m_dirty = false;
}

// ---- Video memory ----------------------------------------------------------------------
// "Video Memory Organization": in the text modes the CPU sees character codes at even
// and attributes at odd addresses (odd/even addressing); the whole 32 KiB window is
// memory, only 80x25 cells of it are on the screen.

u64 VgaText::mmio_read(u64 offset, unsigned size)
{
    u64 v = 0;
    for (unsigned i = 0; i < size && i < 8; ++i) {
        u64 a = offset + i;
        u64 byte = a < mmio_size ? m_memory[a] : 0xFF;
        v |= byte << (8 * i);
    }
    return v;
}

void VgaText::mmio_write(u64 offset, u64 value, unsigned size)
{
    for (unsigned i = 0; i < size && i < 8; ++i) {
        u64 a = offset + i;
        if (a < mmio_size)
            m_memory[a] = static_cast<u8>(value >> (8 * i));
    }
    m_dirty = true;
}

void VgaText::screen_text(u32 row, char* out80) const
{
    // "CRT Controller Registers", Start Address High/Low: the character (word) address of
    // the top left cell. The 32 KiB window holds 16K cells; addresses wrap inside it.
    u32 cell = start_address() + row * columns;
    for (u32 c = 0; c < columns; ++c)
        out80[c] = plain(m_memory[((cell + c) * 2) & (mmio_size - 1)]);
}

VgaText::Cursor VgaText::cursor() const
{
    // Cursor Location High/Low is a character address like the start address; CR0A bit 5
    // ("Cursor Off") hides the cursor.
    u32 offset = static_cast<u16>(cursor_address() - start_address());
    Cursor c { offset / columns, offset % columns, !(m_crtc[CURSOR_START] & 0x20) };
    if (offset >= rows * columns)
        c.visible = false;
    return c;
}

void VgaText::flush()
{
    if (!m_dirty)
        return;
    m_dirty = false;
    for (u32 r = 0; r < rows; ++r) {
        char text[columns];
        screen_text(r, text);
        bool changed = false;
        for (u32 c = 0; c < columns; ++c)
            if (text[c] != m_shown[r][c])
                changed = true, m_shown[r][c] = text[c];
        if (!changed || !m_output)
            continue;
        char line[5 + columns + 1] = { 'v', 'g', 'a', ':', ' ' };
        u32 length = columns;
        while (length > 0 && text[length - 1] == ' ')
            --length;
        for (u32 c = 0; c < length; ++c)
            line[5 + c] = text[c];
        line[5 + length] = '\n';
        m_output(m_output_context, line, 5 + length + 1);
    }
}

// ---- Ports -----------------------------------------------------------------------------

u8 VgaText::read_port(u16 port)
{
    switch (port) {
    case crtc_index_port: return m_crtc_index;
    case crtc_data_port: return crtc_register(m_crtc_index);
    case input_status_port:
        // Input Status Register 1: bit 3 vertical retrace, bit 0 display disabled (either
        // retrace). No raster is timed; each read flips both, so loops waiting for
        // retrace to begin or to end both finish.
        m_status ^= status_display_disabled | status_vretrace;
        return m_status;
    default: return 0xFF;
    }
}

void VgaText::write_port(u16 port, u8 value)
{
    switch (port) {
    case crtc_index_port: m_crtc_index = value & 0x1F; break; // CRTC Address Register: bits 4-0
    case crtc_data_port:
        if (m_crtc_index >= crtc_register_count)
            break;
        // Vertical Retrace End bit 7 ("Protect R0-7") write-protects CR00-CR07, except
        // Overflow bit 4 (Line Compare bit 8).
        if ((m_crtc[VRETRACE_END] & 0x80) && m_crtc_index <= 7) {
            if (m_crtc_index == 7)
                m_crtc[7] = static_cast<u8>((m_crtc[7] & ~0x10) | (value & 0x10));
            break;
        }
        m_crtc[m_crtc_index] = value;
        if (m_crtc_index == START_HIGH || m_crtc_index == START_LOW)
            m_dirty = true; // hardware scrolling moves the screen
        break;
    default: break; // Input Status 1 is read-only
    }
}

// Wider accesses are consecutive byte accesses: `out dx, ax` to 0x3D4 writes the index
// in AL and the data in AH, as drivers commonly do.
u32 VgaText::io_read(u16 port, unsigned size)
{
    u32 v = 0;
    for (unsigned i = 0; i < size && i < 4; ++i)
        v |= static_cast<u32>(read_port(static_cast<u16>(port + i))) << (8 * i);
    return v;
}

void VgaText::io_write(u16 port, u32 value, unsigned size)
{
    for (unsigned i = 0; i < size && i < 4; ++i)
        write_port(static_cast<u16>(port + i), static_cast<u8>(value >> (8 * i)));
}

void VgaText::describe(StringBuilder& out) const
{
    Cursor c = cursor();
    out.append("vga: start=%04x cursor=%04x (row %u col %u%s) crtc_index=%02x\n", start_address(), cursor_address(),
               c.row, c.column, c.visible ? "" : ", hidden", m_crtc_index);
}

// ---- State -----------------------------------------------------------------------------
// Version byte, payload length (u32), CRTC index, status, CR00-CR18, then video memory.
// The console mirror is host-side and not saved: the next flush shows what differs.

namespace {
constexpr u32 register_bytes = 2 + VgaText::crtc_register_count;
constexpr u32 state_size = register_bytes + VgaText::mmio_size;
} // namespace

void VgaText::save(StateWriter& out) const
{
    out.write_u8(state_version);
    out.write_u32(state_size);
    out.write_u8(m_crtc_index);
    out.write_u8(m_status);
    out.write_bytes(m_crtc, crtc_register_count);
    out.write_bytes(m_memory, mmio_size);
}

Result<void> VgaText::restore(StateReader& in)
{
    u8 version = TRY(in.read_u8());
    if (version != state_version)
        return Error::formatted("vga_text state: version %u, expected %u", version, state_version);
    u32 size = TRY(in.read_u32());
    if (size != state_size || in.remaining() < state_size)
        return Error::formatted("vga_text state: %u bytes (%zu present), expected %u", size, in.remaining(),
                                state_size);
    u8 regs[register_bytes];
    TRY(in.read_bytes(regs, register_bytes));
    if (regs[0] > 0x1F || (regs[1] & ~(status_display_disabled | status_vretrace)))
        return Error::formatted("vga_text state: register values out of range");
    // Checked above: the memory is there, so nothing below can fail halfway.
    TRY(in.read_bytes(m_memory, mmio_size));
    m_crtc_index = regs[0];
    m_status = regs[1];
    for (u32 i = 0; i < crtc_register_count; ++i)
        m_crtc[i] = regs[2 + i];
    m_dirty = true;
    return {};
}

} // namespace keel::devices
