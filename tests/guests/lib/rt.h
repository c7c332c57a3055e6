/* The freestanding runtime shared by keel's C test guests: serial output, a small
 * printf, exit, string functions and check helpers. System helpers (GDT/TSS, IDT,
 * page tables) are in their own headers. */
#ifndef KEEL_GUEST_RT_H
#define KEEL_GUEST_RT_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* COM1 (serial.c). */
void serial_putc(char c);
void serial_puts(const char *s);

/* printf.c: %s %c %d %i %u %x %X %p %%, with l/ll/z, width, '0' and '-'. */
int printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int snprintf(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);

/* start.asm: debug-exit port 0xF4, keel's status becomes (code << 1) | 1. */
_Noreturn void exit(int code);

/* string.c */
void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
char *strcpy(char *dst, const char *src);
char *strchr(const char *s, int c);

/* check.c. check64 and group_end are the assembly guests' assertions (lib/check.inc):
 * silent on success, one FAIL line per mismatch. expect_* print one line per check
 * either way. Every mismatch counts towards check_failures(). */
void check64(uint64_t got, uint64_t want, const char *what);
void group_end(const char *name);
bool expect_hex(const char *what, uint64_t got, uint64_t want);
bool expect_dec(const char *what, int64_t got, int64_t want);
bool expect_true(const char *what, bool ok);
int check_failures(void);
int check_summary(const char *program);

#endif
