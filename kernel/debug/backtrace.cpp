#include "kernel/debug/backtrace.h"
#include "kernel/console/serial.h"
#include "kernel/debug/symbols.h"
#include "kernel/mm/layout.h"

namespace keel::kernel::backtrace {
namespace {

struct Stack {
    u64 low, high;
};
Stack g_stacks[max_stacks];
u32 g_stack_count = 0;

unsigned long long ull(u64 v) { return v; }

// The stack holding a whole frame record {saved RBP, return address} at fp, if any.
const Stack* stack_of_frame(u64 fp)
{
    if (fp % 8 != 0)
        return nullptr;
    for (u32 i = 0; i < g_stack_count; ++i) {
        if (fp >= g_stacks[i].low && fp < g_stacks[i].high && g_stacks[i].high - fp >= 16)
            return &g_stacks[i];
    }
    return nullptr;
}

// A return address is the instruction after the call; the call itself is at address - 1.
// That matters when the call is a function's last instruction (a call to a [[noreturn]]
// function): the return address is then already in the next function.
void print_frame(u32 index, u64 address, bool is_return_address)
{
    const char* name;
    u64 offset;
    u64 probe = is_return_address ? address - 1 : address;
    if (symbols::lookup(probe, name, offset))
        serial::print("  #%u 0x%016llx %.200s+0x%llx\n", index, ull(address), name, ull(offset + (address - probe)));
    else if (layout::in_translation_cache(address))
        serial::print("  #%u 0x%016llx (generated code in the translation cache)\n", index, ull(address));
    else if (symbols::in_kernel_text(address))
        serial::print("  #%u 0x%016llx (keel+0x%llx)\n", index, ull(address), ull(address - symbols::image_base()));
    else
        serial::print("  #%u 0x%016llx\n", index, ull(address));
}

} // namespace

bool add_stack_bounds(u64 low, u64 high)
{
    if (g_stack_count == max_stacks || low >= high)
        return false;
    g_stacks[g_stack_count++] = { low, high };
    return true;
}

void print(u64 rip, u64 rbp, bool rip_is_return_address)
{
    serial::print("backtrace:\n");
    print_frame(0, rip, rip_is_return_address);
    u64 fp = rbp;
    const Stack* stack = stack_of_frame(fp);
    if (!stack && fp != 0) {
        serial::print("  (RBP 0x%016llx is not a frame on a kernel stack: %s)\n", ull(fp),
            layout::in_translation_cache(rip) ? "generated code keeps the CPU context there" : "no frame chain to follow");
        return;
    }
    for (u32 index = 1; stack; ++index) {
        if (index == max_frames) {
            serial::print("  ... (stopped after %u frames)\n", max_frames);
            return;
        }
        const u64* record = reinterpret_cast<const u64*>(fp);
        u64 next = record[0];
        u64 return_address = record[1];
        if (return_address == 0)
            return;
        print_frame(index, return_address, true);
        // RBP = 0 ends the chain on purpose (the kernel's first frame). Otherwise the
        // caller's frame is further up the same stack, or on another registered stack: the
        // stub's frame record at an interrupt links the IST stack to the interrupted one.
        const Stack* next_stack = stack_of_frame(next);
        if (next != 0 && (!next_stack || (next_stack == stack && next <= fp))) {
            serial::print("  (next RBP 0x%016llx is not a frame further up a kernel stack; stopping)\n", ull(next));
            return;
        }
        fp = next;
        stack = next_stack;
    }
}

void print_current()
{
    // Our own frame record is on the live stack: reading it is safe whatever it holds.
    auto* record = static_cast<const u64*>(__builtin_frame_address(0));
    print(reinterpret_cast<u64>(__builtin_return_address(0)), record[0], true);
}

} // namespace keel::kernel::backtrace
