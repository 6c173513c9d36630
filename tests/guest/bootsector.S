/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A boot sector that says XLDMR-DISK-BOOT on COM1 and halts: proof that a
 * guest booted from a disk the device model only ever had as a descriptor.
 * Built at test time: as --32; ld -m elf_i386 -Ttext 0x7c00 --oformat binary. */
.code16
.globl _start
_start:
    cli
    xor %ax, %ax
    mov %ax, %ds
    mov $msg, %si
    mov $0x3f8, %dx
1:  lodsb
    test %al, %al
    jz 2f
    out %al, (%dx)
    jmp 1b
2:  hlt
    jmp 2b
msg: .asciz "XLDMR-DISK-BOOT\r\n"
. = _start + 510
.byte 0x55, 0xaa
