/* PCI enumeration as firmware and Linux do it (configuration mechanism #1, PCI Local Bus
 * Spec 3.0 §3.2.2.3.2): scan bus 0, every device, function 0 and (if the header type says
 * multi-function) functions 1-7; print vendor, device, class and header type; check the
 * i440FX host bridge and PIIX3 ISA bridge are where a PC has them, and that absent slots
 * read all ones. Also byte and word reads at CONFIG_DATA offsets. */
#include "cpu.h"
#include "rt.h"

static inline void outl(uint16_t port, uint32_t v) { __asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port)); }
static inline uint32_t inl(uint16_t port)
{
    uint32_t v;
    __asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}
static inline uint16_t inw(uint16_t port)
{
    uint16_t v;
    __asm__ volatile("inw %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}

static uint32_t config_address(unsigned dev, unsigned fn, unsigned reg)
{
    return 0x80000000u | dev << 11 | fn << 8 | (reg & 0xFC);
}

static uint32_t read32(unsigned dev, unsigned fn, unsigned reg)
{
    outl(0xCF8, config_address(dev, fn, reg));
    return inl(0xCFC);
}

int main(void)
{
    unsigned found = 0;
    for (unsigned dev = 0; dev < 32; ++dev) {
        for (unsigned fn = 0; fn < 8; ++fn) {
            uint32_t id = read32(dev, fn, 0x00);
            if ((id & 0xFFFF) == 0xFFFF) {
                if (fn == 0)
                    break;
                continue;
            }
            uint32_t class_rev = read32(dev, fn, 0x08);
            uint8_t header = (uint8_t)(read32(dev, fn, 0x0C) >> 16);
            printf("00:%02x.%u %04x:%04x class %06x header %02x\n", dev, fn, id & 0xFFFF, id >> 16, class_rev >> 8, header);
            ++found;
            if (fn == 0 && !(header & 0x80))
                break;
        }
    }
    expect_dec("functions found", found, 2);
    expect_hex("00:00.0 is the i440FX host bridge", read32(0, 0, 0), 0x12378086);
    expect_hex("00:01.0 is the PIIX3 ISA bridge", read32(1, 0, 0), 0x70008086);
    expect_hex("an empty slot reads all ones", read32(5, 0, 0), 0xFFFFFFFF);

    outl(0xCF8, config_address(1, 0, 0x08));
    expect_hex("byte read of the class code (0xCFF)", inb(0xCFF), 0x06);
    expect_hex("word read of the subclass (0xCFE)", inw(0xCFE), 0x0601);
    outl(0xCF8, config_address(1, 0, 0x60));
    expect_hex("PIRQA route resets to 0x80 (disabled)", inb(0xCFC), 0x80);
    outl(0xCF8, 0x12345678);
    expect_hex("CONFIG_ADDRESS reads back (reserved bits zero)", inl(0xCF8), 0x12345678 & 0x80FFFFFC);
    return check_summary("pci");
}
