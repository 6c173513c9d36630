/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A boot sector that writes itself to LBA 4096 (2 MiB into its disk) with
 * the BIOS's extended write (int 13h, AH=43h), says on COM1
 * "XLDMR-DISK-WRITE ok" or "XLDMR-DISK-WRITE fail", and idles with
 * interrupts on (Xen takes "cli; hlt" as a shutdown). The write reaches
 * the device model's image file at offset 2 MiB: past libxl's 256 KiB
 * RLIMIT_FSIZE unless the toolstack raised it.
 * Built at test time: as --32; ld -m elf_i386 -Ttext 0x7c00 --oformat binary. */
.code16
.globl _start
_start:
    cli
    xor %ax, %ax
    mov %ax, %ds
    mov %ax, %ss
    mov $0x7c00, %sp
    sti
    mov $dap, %si          /* %dl: the boot drive, from the BIOS */
    mov $0x4300, %ax
    int $0x13
    mov $ok_msg, %si
    jnc 1f
    mov $fail_msg, %si
1:  mov $0x3f8, %dx
2:  lodsb
    test %al, %al
    jz 3f
    out %al, (%dx)
    jmp 2b
3:  sti
    hlt
    jmp 3b
dap:                        /* disk address packet */
    .byte 0x10, 0
    .word 1                 /* one sector */
    .word 0x7c00, 0         /* from this very sector */
    .long 4096, 0           /* to LBA 4096 */
ok_msg: .asciz "XLDMR-DISK-WRITE ok\r\n"
fail_msg: .asciz "XLDMR-DISK-WRITE fail\r\n"
. = _start + 510
.byte 0x55, 0xaa
