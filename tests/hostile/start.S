/* start.S: entry of the hostile tiny guests: a stack, a zeroed .bss, then guest_main().
 * hyrun-vmm enters at the bzImage's 64-bit entry (0x100200) with interrupts off and the
 * first 4 GiB identity-mapped (vmm/layout.h). */
	.code64
	.section .text.entry, "ax"
	.globl _start
_start:
	cli
	mov $0x1ff000, %rsp /* below the rings at 0x200000 (fsguest.c) */
	lea __bss_start(%rip), %rdi
	lea _end(%rip), %rcx
	sub %rdi, %rcx
	xor %eax, %eax
	rep stosb
	call guest_main
1:	hlt
	jmp 1b
	.section .note.GNU-stack, "", @progbits
