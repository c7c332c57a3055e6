#include "machine/linux/bzimage.h"

namespace keel::machine::linux_boot {
namespace {

u16 le16(const u8* p) { return static_cast<u16>(p[0] | p[1] << 8); }
u32 le32(const u8* p) { return static_cast<u32>(le16(p)) | static_cast<u32>(le16(p + 2)) << 16; }
u64 le64(const u8* p) { return static_cast<u64>(le32(p)) | static_cast<u64>(le32(p + 4)) << 32; }

} // namespace

bool looks_like_bzimage(const u8* data, u64 size)
{
    return size >= header::magic + 4 && le16(data + header::boot_flag) == 0xAA55
        && le32(data + header::magic) == 0x53726448; // "HdrS"
}

Result<BzImage> parse_bzimage(const u8* data, u64 size, const char* name)
{
    if (!looks_like_bzimage(data, size))
        return Error::formatted("%s: not a Linux kernel image (no boot sector flag 0xAA55 and \"HdrS\" header)", name);
    BzImage image {};
    image.version = le16(data + header::version);
    if (image.version < oldest_version)
        return Error::formatted("%s: Linux boot protocol %u.%02u; keel boots 2.12 and later", name,
            image.version >> 8, image.version & 0xFF);
    // Everything up to cmdline_size (2.06) and init_size (2.10) is present from 2.12 on;
    // the header's own length (the jump's displacement) must cover the fields keel reads.
    image.header_end = 0x202u + data[header::jump + 1];
    if (image.header_end < header::init_size + 4 || image.header_end > 0x300)
        return Error::formatted("%s: the setup header ends at 0x%x, before the fields protocol %u.%02u has", name,
            image.header_end, image.version >> 8, image.version & 0xFF);
    u32 setup_sects = data[header::setup_sects] ? data[header::setup_sects] : 4; // 0 means 4 (boot.rst)
    image.setup_bytes = (setup_sects + 1) * 512;
    if (size < image.setup_bytes + 0x200ull)
        return Error::formatted("%s: truncated: %llu bytes, the setup code alone takes %u", name, (unsigned long long)size,
            image.setup_bytes);
    if (!(data[header::loadflags] & loaded_high))
        return Error::formatted("%s: a zImage (loaded below 1 MiB); keel boots bzImages", name);
    // A kernel without XLF_KERNEL_64 (a 32-bit one) starts through the 32-bit entry.
    image.has_64bit_entry = le16(data + header::xloadflags) & xlf_kernel_64;
    // syssize: the protected-mode code's size in 16-byte paragraphs (2.04+), rounded up:
    // a file may end up to 15 bytes before syssize * 16 (memtest86+ does; QEMU and GRUB
    // load what the file has).
    u64 kernel_size = static_cast<u64>(le32(data + header::syssize)) * 16;
    u64 available = size - image.setup_bytes;
    if (kernel_size == 0 || kernel_size > available + 15)
        return Error::formatted("%s: truncated: the header says %llu bytes of protected-mode kernel, the file has %llu", name,
            (unsigned long long)kernel_size, (unsigned long long)available);
    image.kernel = data + image.setup_bytes;
    image.kernel_size = available; // the payload may carry padding past syssize; load it all
    image.initrd_addr_max = le32(data + header::initrd_addr_max);
    image.kernel_alignment = le32(data + header::kernel_alignment);
    image.relocatable = data[header::relocatable_kernel] != 0;
    image.cmdline_size = le32(data + header::cmdline_size);
    image.pref_address = le64(data + header::pref_address);
    image.init_size = le32(data + header::init_size);
    if (image.init_size < kernel_size)
        return Error::formatted("%s: init_size 0x%x is smaller than the kernel (0x%llx bytes)", name, image.init_size,
            (unsigned long long)kernel_size);
    if (image.relocatable && (image.kernel_alignment == 0 || (image.kernel_alignment & (image.kernel_alignment - 1))))
        return Error::formatted("%s: kernel_alignment 0x%x is not a power of two", name, image.kernel_alignment);
    return image;
}

} // namespace keel::machine::linux_boot
