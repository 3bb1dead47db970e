/* QEMU's `-M sim -cpu lx106` starts at the reset vector (0x50000000, the start of
 * sysrom0), not at the ELF entry. This stub is linked there (harness.ld): it sets the
 * stack pointer, which picolibc's minimal crt0 expects to find set, and jumps to its
 * _start, which prepares .bss and calls main. */
        .section .offtap.reset, "ax"
        .global _offtap_reset
        .align 4
_offtap_reset:
        j       1f
        .align 4
.Lstart:
        .word   _start
.Lstack:
        .word   __stack
1:
        l32r    a1, .Lstack
        l32r    a0, .Lstart
        jx      a0
