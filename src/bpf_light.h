/* SPDX-License-Identifier: GPL-2.0-only */
/* Loading a BPF object through a loader program the kernel runs: no vmlinux BTF parsed in userspace. */
#ifndef AOD_BPF_LIGHT_H
#define AOD_BPF_LIGHT_H

#include <stdbool.h>
#include <stddef.h>

struct bpf_object;
struct bpf_program;

#define LIGHT_MAX_MAPS 16
#define LIGHT_MAX_PROGS 32

/* The file descriptors the loader program left, in the object's map and program order. */
struct light_obj {
	int nmaps, nprogs;
	int map_fd[LIGHT_MAX_MAPS];	/* -1: not created */
	int prog_fd[LIGHT_MAX_PROGS];	/* -1: not loaded */
};

/*
 * libbpf's usual load parses the kernel's whole BTF (5+ MB, copied twice: ~10 ms and ~11 MB
 * of peak memory per object) to do CO-RE relocations and find BTF attach targets. Here libbpf
 * only writes a loader program (its "gen_loader" mode, the one light skeletons use); the kernel
 * runs it (BPF_PROG_TYPE_SYSCALL, 5.15+), creating the maps, resolving CO-RE relocations and
 * attach targets against its own BTF and loading the programs. `obj` is opened, with rodata,
 * autoload and autocreate set; afterwards it is only good for reading names and for
 * bpf_object__close. Returns 0 or -errno, with what failed in err.
 */
int light_load(struct bpf_object *obj, struct light_obj *lo, char *err, size_t errlen);
/* True when light_attach can attach this program type (tp_btf, fentry/fexit, raw_tp). */
bool light_attachable(const struct bpf_program *p);
/* True when every program of obj set to autoload is light_attachable: a light load can serve it. */
bool light_object_attachable(const struct bpf_object *obj);
/*
 * AOD_NO_LIGHT_LOAD=1 in the environment: libbpf's own load for every object (for comparing,
 * and a way out). The one reader of that variable.
 */
bool light_disabled(void);
/*
 * After a light load (or its attach) failed with err: true when the kernel cannot run a loader
 * program at all (no BPF_PROG_TYPE_SYSCALL before 5.15, or a loader refused as a whole), so
 * libbpf's own load may still work. A program the kernel refuses is the answer either way.
 */
bool light_fallback(int err);
/* Attaches program p (loaded as prog_fd); returns the link fd or -errno. */
int light_attach(const struct bpf_program *p, int prog_fd);
/* fd of the named map, -1 when absent or not created. */
int light_map_fd(const struct light_obj *lo, const struct bpf_object *obj, const char *name);
/* fd of the named program, -1 when absent or not loaded. */
int light_prog_fd(const struct light_obj *lo, const struct bpf_object *obj, const char *name);
/* Maps the named global-data map (".bss") read-write; NULL and errno on failure. */
void *light_mmap(const struct light_obj *lo, const struct bpf_object *obj, const char *suffix, size_t *len);
void light_close(struct light_obj *lo);
/*
 * Can an fentry program attach to kernel function btf_id (from the kernel's BTF)? Loads and
 * attaches a two-instruction program, then drops it: 0 or the -errno of the step that failed.
 * Costs well under a millisecond, against a few for a whole object refused the same way.
 */
int light_probe_fentry(unsigned int btf_id);
/*
 * Does the kernel refuse fentry programs wholesale (a security policy, no capability)? Loads one
 * without a target, which such a kernel refuses before looking at the target (-EPERM or -EACCES)
 * and any other refuses for want of one (0 here). Tens of microseconds, and no BTF lookup: a
 * kernel that says yes here needs no light_probe_fentry, nor the lookup of its target.
 */
int light_fentry_refused(void);
/*
 * The kernel's BTF ids of these names and kinds (BTF_KIND_*), found by the kernel itself: one
 * syscall program (5.15+) calls bpf_btf_find_by_name_kind for each, about half a millisecond for
 * six names against 3-8 ms for a walk of the mapped BTF from userspace. ids[i] is the vmlinux id
 * or -ENOENT. 0, or -errno when the kernel cannot run such a program (the caller walks the BTF).
 */
#define LIGHT_BTF_FIND_MAX 8
int light_btf_find(const char *const *name, const unsigned int *kinds, int n, int *ids);

#endif /* AOD_BPF_LIGHT_H */
