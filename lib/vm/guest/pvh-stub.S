/* A do-nothing kernel with the PVH entry note: QEMU needs a -kernel of the same boot protocol
   (same option ROM) to accept a snapshot, but a restored VM never executes it. */
        .section .note.Xen, "a", @note
        .align 4
        .long 4f - 3f
        .long 6f - 5f
        .long 18                /* XEN_ELFNOTE_PHYS32_ENTRY */
3:      .asciz "Xen"
4:      .align 4
5:      .long _start
6:      .align 4
        .text
        .globl _start
        .code32
_start: cli
1:      hlt
        jmp 1b
