#pragma once
// Hardware task switches in legacy protected mode (Intel SDM vol. 3 §7.3): JMP or CALL to
// a TSS or a task gate, an interrupt or exception through a task gate, IRET with NT set.
// IA-32e mode has none (those raise #GP there).
#include "plugins/arch/x86/cpu_state.h"

namespace keel::x86 {

enum class TaskSwitch : u8 { Jump, Call, Iret, Interrupt };

// Switches to the task whose 32-bit TSS `selector` names. `return_eip` is the EIP saved
// in the outgoing task (where it resumes); an exception's error code, when it has one, is
// pushed on the new task's stack. False when the switch faulted (the fault is pending,
// raised in whichever task the SDM's step for it says).
bool switch_task(CpuContext& ctx, u16 selector, TaskSwitch reason, u64 return_eip, const PendingEvent* event = nullptr);

} // namespace keel::x86
