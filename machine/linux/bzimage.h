#pragma once
// The Linux x86 boot protocol's image format (Documentation/arch/x86/boot.rst, "The Real-
// Mode Kernel Header"): a bzImage is the real-mode setup code, whose sector 1 carries the
// setup header, followed by the protected-mode kernel (a self-decompressing payload).
// keel boots it through the 64-bit entry (boot protocol 2.12 and later, XLF_KERNEL_64).
#include "dbt/base/result.h"

namespace keel::machine::linux_boot {

// Offsets of the setup header fields in the file, which are also their offsets in
// boot_params (the "zero page"), boot.rst "Details of header fields".
namespace header {
constexpr u64 setup_sects = 0x1F1;
constexpr u64 syssize = 0x1F4;
constexpr u64 code32_start = 0x214;        // the 32-bit entry's address (the load address)
constexpr u64 boot_flag = 0x1FE;          // 0xAA55
constexpr u64 jump = 0x200;               // its second byte + 0x202 is where the header ends
constexpr u64 magic = 0x202;              // "HdrS"
constexpr u64 version = 0x206;
constexpr u64 type_of_loader = 0x210;
constexpr u64 loadflags = 0x211;
constexpr u64 ramdisk_image = 0x218;
constexpr u64 ramdisk_size = 0x21C;
constexpr u64 cmd_line_ptr = 0x228;
constexpr u64 initrd_addr_max = 0x22C;
constexpr u64 kernel_alignment = 0x230;
constexpr u64 relocatable_kernel = 0x234;
constexpr u64 xloadflags = 0x236;
constexpr u64 cmdline_size = 0x238;
constexpr u64 pref_address = 0x258;
constexpr u64 init_size = 0x260;
} // namespace header

constexpr u8 loaded_high = 0x01;     // loadflags: the protected-mode code is loaded at 0x100000 or above
constexpr u16 xlf_kernel_64 = 0x01;  // xloadflags: has the 64-bit entry at load address + 0x200
constexpr u16 oldest_version = 0x020C; // 2.12: the first with xloadflags

struct BzImage {
    u16 version;               // boot protocol, e.g. 0x020F for 2.15
    u32 setup_bytes;           // the real-mode part, (setup_sects + 1) * 512
    const u8* kernel;          // the protected-mode kernel, as it goes to guest memory
    u64 kernel_size;
    u32 initrd_addr_max;       // highest address the initramfs may end at (inclusive)
    u32 kernel_alignment;      // when relocatable
    bool relocatable;
    u32 cmdline_size;          // longest command line, without its NUL
    u64 pref_address;          // where the kernel prefers to be loaded
    u32 init_size;             // bytes the kernel needs from its load address to start
    u32 header_end;            // end of the setup header in the file (copied into boot_params)
    bool has_64bit_entry;      // xloadflags XLF_KERNEL_64: the 64-bit entry at load address + 0x200
};

// True when `data` carries a setup header (the boot flag and "HdrS"), so that -kernel can
// tell a bzImage from an ELF test guest by content.
bool looks_like_bzimage(const u8* data, u64 size);

// Checks the header and refuses, naming `name` and the reason, what keel cannot boot: a
// truncated file, a boot protocol older than 2.12, a kernel without the 64-bit entry, one
// not loaded high (zImage).
Result<BzImage> parse_bzimage(const u8* data, u64 size, const char* name);

} // namespace keel::machine::linux_boot
