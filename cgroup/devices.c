/* Device access of a run cgroup (issue 19): runc's default allow-list, so
 * that no device node but the few a sandbox needs opens, whatever the
 * workload's capabilities or the mount a node sits on. cgroup v1 takes the
 * rules as text in devices.deny and devices.allow
 * (Documentation/admin-guide/cgroup-v1/devices.rst); cgroup v2 has no file
 * for them and runs a BPF_PROG_TYPE_CGROUP_DEVICE program attached to the
 * cgroup instead, built here from the same list (the kernel's
 * bpf_cgroup_dev_ctx, include/uapi/linux/bpf.h). */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/util.h"

#define R TJ_CG_DEV_READ
#define W TJ_CG_DEV_WRITE
#define M TJ_CG_DEV_MKNOD

/* runc's list (libcontainer's AllowedDevices) less /dev/console, which the
 * sandbox does not give. mknod stays allowed for every node, as in runc
 * and Docker (archive code under test makes nodes); such a node then opens
 * only when it is on the list. */
const struct tj_cg_dev_rule tj_cg_dev_rules[] = {
    {'c', -1, -1, M},          {'b', -1, -1, M}, /* mknod of any node */
    {'c', 1, 3, R | W | M},                      /* null */
    {'c', 1, 5, R | W | M},                      /* zero */
    {'c', 1, 7, R | W | M},                      /* full */
    {'c', 1, 8, R | W | M},                      /* random */
    {'c', 1, 9, R | W | M},                      /* urandom */
    {'c', 5, 0, R | W | M},                      /* tty */
    {'c', 5, 2, R | W | M},                      /* ptmx */
    {'c', 136, -1, R | W | M},                   /* pts/N */
};
const size_t tj_cg_n_dev_rules = TJ_ARRAY_SIZE(tj_cg_dev_rules);

#undef R
#undef W
#undef M

int tj_cg_dev_rule_format(const struct tj_cg_dev_rule *r, char *buf, size_t size) {
  char maj[16] = "*", min[16] = "*", acc[4];
  size_t k = 0;
  if (r->major >= 0)
    snprintf(maj, sizeof(maj), "%d", (int)r->major);
  if (r->minor >= 0)
    snprintf(min, sizeof(min), "%d", (int)r->minor);
  if (r->access & TJ_CG_DEV_READ)
    acc[k++] = 'r';
  if (r->access & TJ_CG_DEV_WRITE)
    acc[k++] = 'w';
  if (r->access & TJ_CG_DEV_MKNOD)
    acc[k++] = 'm';
  acc[k] = '\0';
  int n = snprintf(buf, size, "%c %s:%s %s", r->type, maj, min, acc);
  return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

/* ---- the BPF program ----
 * r1 points at the context; r2 = requested access, r3 = device type,
 * r4 = major, r5 = minor. Each rule is a block of tests that jump to the
 * next block on a mismatch and end in "return 1"; after the last, "return
 * 0". The requested access fits a rule when it asks for no bit the rule
 * leaves out: (r2 & ~access) == 0. */

static struct bpf_insn insn(uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm) {
  return (struct bpf_insn){.code = code, .dst_reg = dst, .src_reg = src, .off = off, .imm = imm};
}

static int dev_type(char type) { return type == 'b' ? BPF_DEVCG_DEV_BLOCK : type == 'c' ? BPF_DEVCG_DEV_CHAR : 0; }

#define RULE_MAX_INSNS 8

int tj_cg_dev_bpf_build(const struct tj_cg_dev_rule *rules, size_t n, struct bpf_insn *out, size_t max) {
  size_t k = 0;
#define EMIT(i)                                                                                                        \
  do {                                                                                                                 \
    if (k == max)                                                                                                      \
      return -ENOSPC;                                                                                                  \
    out[k++] = (i);                                                                                                    \
  } while (0)
  EMIT(insn(BPF_LDX | BPF_MEM | BPF_W, BPF_REG_2, BPF_REG_1, offsetof(struct bpf_cgroup_dev_ctx, access_type), 0));
  EMIT(insn(BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_3, BPF_REG_2, 0, 0));
  EMIT(insn(BPF_ALU64 | BPF_AND | BPF_K, BPF_REG_3, 0, 0, 0xffff));
  EMIT(insn(BPF_ALU64 | BPF_RSH | BPF_K, BPF_REG_2, 0, 0, 16));
  EMIT(insn(BPF_LDX | BPF_MEM | BPF_W, BPF_REG_4, BPF_REG_1, offsetof(struct bpf_cgroup_dev_ctx, major), 0));
  EMIT(insn(BPF_LDX | BPF_MEM | BPF_W, BPF_REG_5, BPF_REG_1, offsetof(struct bpf_cgroup_dev_ctx, minor), 0));
  for (size_t i = 0; i < n; i++) {
    const struct tj_cg_dev_rule *r = &rules[i];
    size_t jumps[RULE_MAX_INSNS], nj = 0;
    if (dev_type(r->type)) {
      jumps[nj++] = k;
      EMIT(insn(BPF_JMP | BPF_JNE | BPF_K, BPF_REG_3, 0, 0, dev_type(r->type)));
    }
    unsigned all = TJ_CG_DEV_READ | TJ_CG_DEV_WRITE | TJ_CG_DEV_MKNOD;
    if ((r->access & all) != all) {
      EMIT(insn(BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_0, BPF_REG_2, 0, 0));
      EMIT(insn(BPF_ALU64 | BPF_AND | BPF_K, BPF_REG_0, 0, 0, (int32_t)(~r->access & all)));
      jumps[nj++] = k;
      EMIT(insn(BPF_JMP | BPF_JNE | BPF_K, BPF_REG_0, 0, 0, 0));
    }
    if (r->major >= 0) {
      jumps[nj++] = k;
      EMIT(insn(BPF_JMP | BPF_JNE | BPF_K, BPF_REG_4, 0, 0, r->major));
    }
    if (r->minor >= 0) {
      jumps[nj++] = k;
      EMIT(insn(BPF_JMP | BPF_JNE | BPF_K, BPF_REG_5, 0, 0, r->minor));
    }
    EMIT(insn(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, 1));
    EMIT(insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0));
    for (size_t j = 0; j < nj; j++)
      out[jumps[j]].off = (int16_t)(k - (jumps[j] + 1));
  }
  EMIT(insn(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, 0));
  EMIT(insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0));
#undef EMIT
  return (int)k;
}

/* ---- applying the list ---- */

int tj_cg_dev_v1_apply(int dfd, const char *path, tj_error *err) {
  /* "a" in devices.deny drops every inherited exception and denies by
   * default; the allow rules then open the list's holes. */
  int r = tj_cg_write_at(dfd, "devices.deny", "a");
  if (r < 0)
    return tj_error_set(err, -r, "writing \"a\" to %s/devices.deny", path);
  for (size_t i = 0; i < tj_cg_n_dev_rules; i++) {
    char rule[64];
    tj_cg_dev_rule_format(&tj_cg_dev_rules[i], rule, sizeof(rule));
    r = tj_cg_write_at(dfd, "devices.allow", rule);
    if (r < 0)
      return tj_error_set(err, -r, "writing \"%s\" to %s/devices.allow", rule, path);
  }
  return 0;
}

#define PROG_MAX_INSNS (6 + 2 + RULE_MAX_INSNS * TJ_ARRAY_SIZE(tj_cg_dev_rules))

int tj_cg_dev_bpf_attach(int dfd, const char *path, tj_error *err) {
  struct bpf_insn prog[PROG_MAX_INSNS];
  int n = tj_cg_dev_bpf_build(tj_cg_dev_rules, tj_cg_n_dev_rules, prog, TJ_ARRAY_SIZE(prog));
  if (n < 0)
    return tj_error_set(err, -n, "building the device program");
  char log[2048] = "";
  union bpf_attr load = {0};
  load.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
  load.insns = (uint64_t)(uintptr_t)prog;
  load.insn_cnt = (uint32_t)n;
  load.license = (uint64_t)(uintptr_t) "GPL"; /* read only for GPL-only helpers; none is called */
  load.log_buf = (uint64_t)(uintptr_t)log;
  load.log_size = sizeof(log);
  load.log_level = 1;
  _cleanup_close_ int pfd = (int)syscall(SYS_bpf, BPF_PROG_LOAD, &load, sizeof(load));
  if (pfd < 0 && errno == ENOSPC) { /* the log did not fit: load without it */
    load.log_buf = 0, load.log_size = 0, load.log_level = 0;
    pfd = (int)syscall(SYS_bpf, BPF_PROG_LOAD, &load, sizeof(load));
  }
  if (pfd < 0) {
    int e = errno;
    char *nl = strrchr(log, '\n');
    while (nl && nl > log && nl[1] == '\0') {
      *nl = '\0';
      nl = strrchr(log, '\n');
    }
    return tj_error_set(err, e, "loading the device program (BPF_PROG_TYPE_CGROUP_DEVICE)%s%s", log[0] ? ": " : "",
                        nl ? nl + 1 : log);
  }
  _cleanup_close_ int cfd = openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (cfd < 0)
    return tj_error_set(err, errno, "opening %s", path);
  /* ALLOW_MULTI: the programs of the cgroups above (systemd's device
   * policy) keep running too; a device opens only when all allow it. The
   * cgroup holds the program; it goes when the cgroup is removed. */
  union bpf_attr at = {0};
  at.target_fd = (uint32_t)cfd;
  at.attach_bpf_fd = (uint32_t)pfd;
  at.attach_type = BPF_CGROUP_DEVICE;
  at.attach_flags = BPF_F_ALLOW_MULTI;
  if (syscall(SYS_bpf, BPF_PROG_ATTACH, &at, sizeof(at)) < 0)
    return tj_error_set(err, errno, "attaching the device program to %s", path);
  return 0;
}

void tj_cg_dev_v2_hook(tj_cgroup *cg, const struct tj_cg_dir *d) {
  if (geteuid() != 0) {
    snprintf(cg->devices_why, sizeof(cg->devices_why),
             "a device program needs CAP_SYS_ADMIN in the initial user namespace, which a normal user's "
             "delegated cgroup does not give");
    return;
  }
  tj_error e = {0};
  if (tj_cg_dev_bpf_attach(d->fd, d->path, &e) < 0) {
    snprintf(cg->devices_why, sizeof(cg->devices_why), "%s", e.msg);
    return;
  }
  cg->devices_mode = "bpf";
}
