#include "kernel/boot/esp_files.h"
#include "dbt/base/format.h"

namespace keel::kernel {
namespace {

const char* status_text(EFI_STATUS status)
{
    switch (status) {
    case EFI_NOT_FOUND: return "not found on the ESP";
    case EFI_ACCESS_DENIED: return "access denied";
    case EFI_VOLUME_CORRUPTED: return "the volume is corrupted";
    case EFI_DEVICE_ERROR: return "device error";
    case EFI_OUT_OF_RESOURCES: return "out of firmware memory";
    case EFI_INVALID_PARAMETER: return "invalid file name";
    default: return "firmware error";
    }
}

} // namespace

Result<EspVolume> EspVolume::open(EFI_HANDLE image, EFI_BOOT_SERVICES* bs)
{
    EFI_GUID loaded_image_guid = EFI_LOADED_IMAGE_PROTOCOL_GUID;
    EFI_GUID file_system_guid = EFI_SIMPLE_FILE_SYSTEM_PROTOCOL_GUID;
    EFI_LOADED_IMAGE* loaded = nullptr;
    EFI_STATUS status = bs->HandleProtocol(image, &loaded_image_guid, reinterpret_cast<void**>(&loaded));
    if (EFI_ERROR(status))
        return Error::formatted("cannot find keel's own image (LoadedImage protocol: 0x%llx)", (unsigned long long)status);
    EFI_FILE_IO_INTERFACE* file_system = nullptr;
    status = bs->HandleProtocol(loaded->DeviceHandle, &file_system_guid, reinterpret_cast<void**>(&file_system));
    if (EFI_ERROR(status))
        return Error::formatted("the boot device has no file system keel can read (0x%llx)", (unsigned long long)status);
    EspVolume volume;
    volume.m_boot_services = bs;
    status = file_system->OpenVolume(file_system, &volume.m_root);
    if (EFI_ERROR(status))
        return Error::formatted("cannot open the ESP: %s", status_text(status));
    return volume;
}

void EspVolume::read(const char* path, LoadedFile& file)
{
    CHAR16 name[BootConfig::max_path + 1];
    usize n = 0;
    for (const char* p = path; *p && n < BootConfig::max_path; ++p)
        name[n++] = *p == '/' ? u'\\' : static_cast<CHAR16>(static_cast<u8>(*p));
    name[n] = 0;

    EFI_FILE_HANDLE handle = nullptr;
    EFI_STATUS status = m_root->Open(m_root, &handle, name, EFI_FILE_MODE_READ, 0);
    if (EFI_ERROR(status)) {
        format(file.error, sizeof(file.error), "%s", status_text(status));
        return;
    }
    // EFI_FILE_INFO ends with the file name; a fixed buffer with room for a long one.
    alignas(8) u8 info_buffer[sizeof(EFI_FILE_INFO) + 512];
    UINTN info_size = sizeof(info_buffer);
    EFI_GUID info_guid = EFI_FILE_INFO_ID;
    status = handle->GetInfo(handle, &info_guid, &info_size, info_buffer);
    if (EFI_ERROR(status)) {
        format(file.error, sizeof(file.error), "cannot get its size: %s", status_text(status));
        handle->Close(handle);
        return;
    }
    auto* info = reinterpret_cast<EFI_FILE_INFO*>(info_buffer);
    if (info->Attribute & EFI_FILE_DIRECTORY) {
        format(file.error, sizeof(file.error), "is a directory");
        handle->Close(handle);
        return;
    }
    UINTN size = info->FileSize;
    void* data = nullptr;
    status = m_boot_services->AllocatePool(EfiLoaderData, size ? size : 1, &data);
    if (EFI_ERROR(status)) {
        format(file.error, sizeof(file.error), "cannot allocate %llu bytes for it", (unsigned long long)size);
        handle->Close(handle);
        return;
    }
    UINTN read = size;
    status = handle->Read(handle, &read, data);
    handle->Close(handle);
    if (EFI_ERROR(status) || read != size) {
        format(file.error, sizeof(file.error), "read error (%s)", EFI_ERROR(status) ? status_text(status) : "short read");
        m_boot_services->FreePool(data);
        return;
    }
    file.data = static_cast<const u8*>(data);
    file.size = size;
}

void EspVolume::list(const char* directory, const char* suffix, void (*found)(void* context, const char* path), void* context)
{
    CHAR16 name[BootConfig::max_path + 1];
    usize n = 0;
    for (const char* p = directory; *p && n < BootConfig::max_path; ++p)
        name[n++] = *p == '/' ? u'\\' : static_cast<CHAR16>(static_cast<u8>(*p));
    name[n] = 0;
    EFI_FILE_HANDLE handle = nullptr;
    if (EFI_ERROR(m_root->Open(m_root, &handle, name, EFI_FILE_MODE_READ, 0)))
        return;
    usize suffix_length = __builtin_strlen(suffix);
    for (;;) {
        // Reading a directory yields one EFI_FILE_INFO per entry, then size 0 (UEFI §13.5).
        alignas(8) u8 buffer[sizeof(EFI_FILE_INFO) + 512];
        UINTN size = sizeof(buffer);
        if (EFI_ERROR(handle->Read(handle, &size, buffer)) || size == 0)
            break;
        auto* info = reinterpret_cast<EFI_FILE_INFO*>(buffer);
        if (info->Attribute & EFI_FILE_DIRECTORY)
            continue;
        char path[BootConfig::max_path];
        usize length = format(path, sizeof(path), "%s/", directory);
        bool fits = true;
        for (CHAR16* c = info->FileName; *c; ++c) {
            if (length + 1 >= sizeof(path)) {
                fits = false;
                break;
            }
            path[length++] = *c < 0x80 ? static_cast<char>(*c) : '?';
        }
        path[length] = '\0';
        if (!fits || length < suffix_length)
            continue;
        bool matches = true;
        for (usize i = 0; i < suffix_length; ++i) {
            char a = path[length - suffix_length + i], b = suffix[i];
            matches &= (a | 0x20) == (b | 0x20); // FAT names are case-insensitive
        }
        if (matches)
            found(context, path);
    }
    handle->Close(handle);
}

} // namespace keel::kernel
