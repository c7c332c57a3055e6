// `device vga_text NAME mmio=0xb8000+0x8000 port=0x3d4+2 port=0x3da+1`: the 80x25 text
// buffer and CRTC; the screen's changed rows go to the host console.
#include "plugins/devices/device_types.h"
#include "plugins/devices/vga_text/vga_text.h"

namespace keel::devices {
namespace {

Device* create(const DeviceCreateArgs& args, Error*)
{
    return new VgaText(write_to_machine_console, args.machine);
}

} // namespace

const DeviceType vga_text_type = { "vga_text", "VGA text mode (0xB8000 buffer, CRTC cursor) shown on the console", "", create };

} // namespace keel::devices
