#include "hosted/hosted_pc.h"
#include "machine/linux/bzimage.h"
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

namespace keel::hosted {

Result<HostedPc*> HostedPc::create(const HostedPcConfig& config)
{
    auto* hosted = new HostedPc(config.code_cache_size);
    if (config.perf_map)
        hosted->m_host.enable_perf_map();
    if (auto mapped = hosted->m_host.map_code_region(); mapped.is_error()) {
        delete hosted;
        return mapped.release_error();
    }
    auto created = machine::Machine::create(hosted->m_host, config.machine);
    if (created.is_error()) {
        delete hosted;
        return created.release_error();
    }
    hosted->m_machine = created.release_value();
    return hosted;
}

HostedPc::~HostedPc() { delete m_machine; }

Result<void> read_file(const char* path, Vector<u8>& bytes, u64 max_size)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return Error::formatted("%s: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0 || S_ISDIR(st.st_mode)) {
        int error = S_ISDIR(st.st_mode) ? EISDIR : errno;
        close(fd);
        return Error::formatted("%s: %s", path, strerror(error));
    }
    auto too_large = [&] {
        close(fd);
        return Error::formatted("%s: larger than %llu MiB, the most keel reads of such a file", path,
            static_cast<unsigned long long>(max_size / MiB));
    };
    // A regular file says its size; a device or pipe (/dev/zero, a FIFO) may never end,
    // so it is read only up to the bound, never until memory runs out.
    constexpr usize chunk = 65536;
    if (S_ISREG(st.st_mode)) {
        if (static_cast<u64>(st.st_size) > max_size)
            return too_large();
        // Room for the last read, which finds the end: without it a file of an exact
        // capacity is copied once more when that read's chunk is made room for.
        bytes.reserve(static_cast<usize>(st.st_size) + chunk);
    }
    usize size = bytes.size();
    for (;;) {
        if (size > max_size)
            return too_large();
        if (size + chunk > bytes.capacity()) // doubling: resize() alone reserves exactly
            bytes.reserve(size + chunk > 2 * bytes.capacity() ? size + chunk : 2 * bytes.capacity());
        bytes.resize(size + chunk);
        ssize_t n = read(fd, bytes.data() + size, chunk);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            int error = errno;
            bytes.resize(size);
            close(fd);
            return Error::formatted("%s: %s", path, strerror(error));
        }
        if (n == 0)
            break;
        size += static_cast<usize>(n);
    }
    bytes.resize(size);
    close(fd);
    return {};
}

Result<void> HostedPc::load_elf_file(const char* path)
{
    Vector<u8> bytes;
    TRY(read_file(path, bytes, max_guest_image_size));
    return m_machine->load_elf(bytes.data(), bytes.size(), path);
}

Result<void> HostedPc::load_kernel_file(const char* path, const char* initrd_path, const char* append, bool linux_entry32)
{
    Vector<u8> kernel, initrd;
    TRY(read_file(path, kernel, max_guest_image_size));
    machine::Machine::KernelFiles files { kernel.data(), kernel.size(), path };
    // A Multiboot kernel's -initrd is QEMU's list: "FILE [ARGS][,FILE [ARGS]...]", each item
    // a module whose string is the item whole (a comma in a Linux initramfs's name stays).
    bool multiboot_kernel = !machine::linux_boot::looks_like_bzimage(kernel.data(), kernel.size())
        && machine::multiboot::has_header(kernel.data(), kernel.size());
    Vector<Vector<u8>> module_bytes;
    Vector<Vector<char>> module_strings;
    Vector<machine::multiboot::MultibootModule> modules;
    if (initrd_path && multiboot_kernel) {
        for (const char* item = initrd_path; *item;) {
            const char* end = item;
            while (*end && *end != ',')
                ++end;
            const char* name_end = item;
            while (name_end < end && *name_end != ' ')
                ++name_end;
            Vector<char> string, file;
            for (const char* c = item; c < end; ++c)
                string.append(*c);
            string.append('\0');
            for (const char* c = item; c < name_end; ++c)
                file.append(*c);
            file.append('\0');
            if (file.size() == 1)
                return Error::formatted("-initrd %s: an empty module name", initrd_path);
            module_bytes.append(Vector<u8> {});
            TRY(read_file(file.data(), module_bytes[module_bytes.size() - 1], max_initrd_size));
            module_strings.append(static_cast<Vector<char>&&>(string));
            item = *end ? end + 1 : end;
        }
        for (usize i = 0; i < module_bytes.size(); ++i)
            modules.append({ module_bytes[i].data(), module_bytes[i].size(), module_strings[i].data() });
        files.modules = modules.data();
        files.module_count = modules.size();
        initrd_path = nullptr;
    }
    if (initrd_path) {
        // An initramfs goes into guest RAM whole: one larger than RAM cannot be booted.
        u64 ram = m_machine->ram_size();
        TRY(read_file(initrd_path, initrd, ram < max_initrd_size ? ram : max_initrd_size));
        files.initrd = initrd.data();
        files.initrd_size = initrd.size();
        files.initrd_name = initrd_path;
    }
    files.command_line = append;
    files.linux_entry32 = linux_entry32;
    return m_machine->load_kernel(files);
}

} // namespace keel::hosted
