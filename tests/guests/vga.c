/* The VGA text buffer at 0xB8000 and the CRT controller's cursor registers: write two
 * lines with attributes (16-bit stores) and place the cursor; keel mirrors the screen to
 * its console when the guest ends ("vga: ..." lines). */
#include "cpu.h"
#include "rt.h"

static volatile uint16_t *const screen = (volatile uint16_t *)0xB8000;

static void put(unsigned row, const char *text, uint8_t attribute)
{
    for (unsigned col = 0; text[col]; ++col)
        screen[row * 80 + col] = (uint16_t)(attribute << 8 | (uint8_t)text[col]);
}

static void crtc_write(uint8_t index, uint8_t value)
{
    outb(0x3D4, index);
    outb(0x3D5, value);
}

static uint8_t crtc_read(uint8_t index)
{
    outb(0x3D4, index);
    return inb(0x3D5);
}

int main(void)
{
    for (unsigned i = 0; i < 80 * 25; ++i)
        screen[i] = 0x0720; /* blank, grey on black */
    put(0, "Hello from the VGA text buffer", 0x1F);
    put(2, "keel runs this guest translated", 0x0E);

    unsigned cursor = 2 * 80 + 31;
    crtc_write(0x0E, cursor >> 8);
    crtc_write(0x0F, cursor & 0xFF);
    expect_hex("cursor high", crtc_read(0x0E), cursor >> 8);
    expect_hex("cursor low", crtc_read(0x0F), cursor & 0xFF);
    expect_hex("cell 0 reads back", screen[0], 0x1F48);
    uint8_t s1 = inb(0x3DA), s2 = inb(0x3DA);
    expect_true("input status toggles (retrace polling ends)", ((s1 ^ s2) & 0x09) != 0);
    return check_summary("vga guest");
}
