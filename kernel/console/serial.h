#pragma once
// The host's COM1 (a 16550 at 0x3F8): keel's log and panic messages, and the guest's own
// console output, go here. Polled transmit, no interrupts, so it works from any context
// (boot, panic, exception handlers).
#include "dbt/base/types.h"

namespace keel::kernel::serial {

void initialize();
void write(const char* text, usize length);
// A received byte, if the UART has one (polled; no interrupts).
bool read_byte(u8& byte);
void write(const char* text); // NUL-terminated
// printf-like (dbt/base/format.h's formatter); at most 1 KiB per call.
void print(const char* format, ...) __attribute__((format(printf, 1, 2)));

} // namespace keel::kernel::serial
