/* A GDT in the image, laid out like keel's entry GDT (0x08 code, 0x10 data) plus user
 * segments and a 64-bit TSS, so a guest can leave keel's reserved area unmapped. */
#ifndef KEEL_GUEST_GDT_H
#define KEEL_GUEST_GDT_H

#include <stdint.h>

#define SEL_KERNEL_CS 0x08
#define SEL_KERNEL_DS 0x10
#define SEL_USER_DS   (0x18 | 3)
#define SEL_USER_CS   (0x20 | 3)
#define SEL_TSS       0x28
/* Compatibility-mode segments (SDM Vol 3A 5.2.1: CS.L=0, CS.D=1 under IA-32e mode). */
#define SEL_CODE32    0x38   /* 32-bit code, DPL 0, flat */
#define SEL_DATA32    0x40   /* data, DPL 0, flat (base 0, 4 GiB) */
#define SEL_DATA_BASED 0x48  /* data, DPL 0, base DATA_BASED_BASE, 4 GiB limit */
#define DATA_BASED_BASE 0x1000

/* lgdt + ltr. CS/SS are not reloaded: the descriptors at 0x08/0x10 match keel's, and
 * a segment register keeps its cached descriptor until reloaded (SDM Vol 3A 3.4.3). */
void gdt_install(void);
/* The stack the CPU switches to on an interrupt from CPL 3 (SDM Vol 3A 7.7). */
void tss_set_rsp0(uint64_t rsp0);

#endif
