/* The shipped profiles, embedded so that installed and static binaries need
 * no data files: profiles/NAME.json as tj_profile_NAME .. tj_profile_NAME_end,
 * NUL-terminated. Assembled from the top of the tree (make's cwd). */
.macro tj_profile name
	.section .rodata.tj_profiles,"a"
	.globl tj_profile_\name
	.hidden tj_profile_\name
tj_profile_\name:
	.incbin "profiles/\name\().json"
	.byte 0
	.globl tj_profile_\name\()_end
	.hidden tj_profile_\name\()_end
tj_profile_\name\()_end:
.endm

tj_profile default
tj_profile strict
tj_profile ci
tj_profile unconfined

.section .note.GNU-stack,"",@progbits
