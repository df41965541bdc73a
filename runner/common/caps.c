#include "common/caps.h"

#include <cap-ng.h>
#include <ctype.h>
#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

static int last_cap(void) {
  int c = CAP_LAST_CAP;
  /* The running kernel may know more capabilities than our headers. */
  while (c < 63 && prctl(PR_CAPBSET_READ, c + 1, 0, 0, 0) >= 0)
    c++;
  return c;
}

uint64_t tj_caps_all(void) {
  int last = last_cap();
  return last >= 63 ? ~0ULL : (1ULL << (last + 1)) - 1;
}

int tj_cap_from_name(const char *name) {
  if (strncasecmp(name, "CAP_", 4) == 0)
    name += 4;
  char buf[64];
  size_t i = 0;
  for (; name[i] && i < sizeof(buf) - 1; i++)
    buf[i] = (char)tolower((unsigned char)name[i]);
  if (name[i] || !i)
    return -1;
  buf[i] = 0;
  int c = capng_name_to_capability(buf);
  return c >= 0 && c < 64 ? c : -1;
}

void tj_cap_name(int cap, char *buf, size_t len) {
  const char *n = capng_capability_to_name((unsigned)cap);
  if (!n) {
    snprintf(buf, len, "CAP_%d", cap);
    return;
  }
  size_t k = (size_t)snprintf(buf, len, "CAP_");
  for (size_t i = 0; n[i] && k + 1 < len; i++)
    buf[k++] = (char)toupper((unsigned char)n[i]);
  if (k < len)
    buf[k] = 0;
}

uint64_t tj_caps_docker_default(void) {
  static const int caps[] = {CAP_CHOWN,      CAP_DAC_OVERRIDE, CAP_FOWNER,      CAP_FSETID,           CAP_KILL,
                             CAP_SETGID,     CAP_SETUID,       CAP_SETPCAP,     CAP_NET_BIND_SERVICE, CAP_NET_RAW,
                             CAP_SYS_CHROOT, CAP_MKNOD,        CAP_AUDIT_WRITE, CAP_SETFCAP};
  uint64_t m = 0;
  for (size_t i = 0; i < sizeof(caps) / sizeof(caps[0]); i++)
    m |= 1ULL << caps[i];
  return m;
}

void tj_caps_format(uint64_t caps, char *buf, size_t len) {
  size_t off = 0;
  buf[0] = 0;
  for (int c = 0; c < 64 && off < len; c++) {
    if (!(caps & (1ULL << c)))
      continue;
    char n[48];
    tj_cap_name(c, n, sizeof(n));
    off += (size_t)snprintf(buf + off, len - off, "%s%s", off ? "," : "", n);
  }
}

/* Without CAP_SETPCAP the bounding set cannot change: what keep asks for
 * must be in it already. */
static int check_bounding(uint64_t keep, int last, const char **what) {
  for (int c = 0; c <= last; c++)
    if ((keep & (1ULL << c)) && prctl(PR_CAPBSET_READ, c, 0, 0, 0) != 1) {
      *what = "a capability asked for is not in the bounding set testjail was started with";
      return -EPERM;
    }
  return 0;
}

/* capng_change_id clears the whole bounding set: switch ids by hand,
 * keeping the permitted set across setuid; the caller sets the rest. */
static int switch_ids_keeping(uid_t uid, gid_t gid, uint64_t keep, int last, const char **what) {
  int r = 0;
  for (int c = 0; c <= last && r == 0; c++)
    if (!(keep & (1ULL << c)))
      r = prctl(PR_CAPBSET_DROP, c, 0, 0, 0);
  if (r == 0 && (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0 || setresgid(gid, gid, gid) < 0 ||
                 setresuid(uid, uid, uid) < 0 || prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0))
    r = -1;
  if (r < 0) {
    *what = "switching ids while keeping --cap-add";
    return errno ? -errno : -EPERM;
  }
  return 0;
}

/* Debian 12's libcap-ng can report success and leave the bounding set
 * untouched; check each bit and drop what is left by hand. */
static int settle_bounding(uint64_t keep, int last, const char **what) {
  for (int c = 0; c <= last; c++) {
    bool want = keep & (1ULL << c);
    errno = 0;
    int held = prctl(PR_CAPBSET_READ, c, 0, 0, 0);
    if (held < 0) {
      *what = "PR_CAPBSET_READ";
      return errno ? -errno : -EPERM;
    }
    if (want && held != 1) {
      *what = "the bounding set lost a capability asked for";
      return -EPERM;
    }
    if (!want && held && (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0 || prctl(PR_CAPBSET_READ, c, 0, 0, 0) != 0)) {
      *what = "bounding set still holds a capability";
      return errno ? -errno : -EPERM;
    }
  }
  return 0;
}

/* The bounding set down to keep, and with has_user the ids switched. */
static int drop_bounding(bool has_user, uid_t uid, gid_t gid, uint64_t keep, int last, const char **what) {
  capng_clear(CAPNG_SELECT_ALL);
  for (int c = 0; c <= last; c++)
    if (keep & (1ULL << c))
      capng_update(CAPNG_ADD, CAPNG_EFFECTIVE | CAPNG_PERMITTED | CAPNG_INHERITABLE | CAPNG_BOUNDING_SET, (unsigned)c);
  if (has_user && keep) {
    int r = switch_ids_keeping(uid, gid, keep, last, what);
    if (r < 0)
      return r;
  } else if ((has_user ? capng_change_id((int)uid, (int)gid, CAPNG_DROP_SUPP_GRP | CAPNG_CLEAR_BOUNDING)
                       : capng_apply(CAPNG_SELECT_ALL)) < 0) {
    *what = has_user ? "capng_change_id" : "capng_apply";
    return errno ? -errno : -EPERM;
  }
  return settle_bounding(keep, last, what);
}

/* Effective, permitted, inheritable and ambient sets to keep exactly. */
static int set_caps(struct __user_cap_header_struct *hdr, uint64_t keep, int last, const char **what) {
  if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL) {
    *what = "PR_CAP_AMBIENT_CLEAR_ALL";
    return -errno;
  }
  struct __user_cap_data_struct data[2] = {0};
  for (int i = 0; i < 2; i++)
    data[i].effective = data[i].permitted = data[i].inheritable = (uint32_t)(keep >> (32 * i));
  if (syscall(SYS_capset, hdr, data) < 0) {
    *what = "capset";
    return -errno;
  }
  /* Ambient too, so a non-root workload keeps them across exec. */
  for (int c = 0; c <= last; c++)
    if ((keep & (1ULL << c)) && prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, c, 0, 0) < 0) {
      *what = "PR_CAP_AMBIENT_RAISE";
      return -errno;
    }
  return 0;
}

/* The sets and ids read back: what was asked for, nothing more. */
static int verify_caps(struct __user_cap_header_struct *hdr, bool has_user, uid_t uid, gid_t gid, uint64_t keep,
                       int last, const char **what) {
  struct __user_cap_data_struct data[2] = {0};
  if (syscall(SYS_capget, hdr, data) < 0) {
    *what = "capget";
    return -errno;
  }
  for (int i = 0; i < 2; i++) {
    uint32_t k = (uint32_t)(keep >> (32 * i));
    if (data[i].effective != k || data[i].permitted != k || data[i].inheritable != k) {
      *what = "capabilities other than those asked for after the drop";
      return -EPERM;
    }
  }
  for (int c = 0; c <= last; c++) {
    int amb = prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, c, 0, 0);
    if (amb >= 0 && amb != !!(keep & (1ULL << c))) {
      *what = "ambient capabilities other than those asked for";
      return -EPERM;
    }
  }
  if (has_user && (getuid() != uid || geteuid() != uid || getgid() != gid || getegid() != gid)) {
    *what = "ids did not change";
    return -EPERM;
  }
  return 0;
}

int tj_caps_drop(bool has_user, uid_t uid, gid_t gid, uint64_t keep, const char **what) {
  if (has_user) {
    if (setgroups(0, NULL) < 0) {
      *what = "setgroups";
      return -errno;
    }
  }
  int last = last_cap();
  keep &= tj_caps_all();
  struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
  struct __user_cap_data_struct data[2] = {0};
  if (syscall(SYS_capget, &hdr, data) < 0) {
    *what = "capget";
    return -errno;
  }
  /* Without CAP_SETPCAP (root in a container that did not grant it) the
   * bounding set stays; an empty permitted set plus no_new_privs keeps exec
   * from raising anything from it (the kernel intersects with the old
   * permitted set). */
  bool setpcap = data[CAP_SETPCAP / 32].effective & (1U << (CAP_SETPCAP % 32));
  int r =
      !setpcap && !has_user ? check_bounding(keep, last, what) : drop_bounding(has_user, uid, gid, keep, last, what);
  if (r < 0 || (r = set_caps(&hdr, keep, last, what)) < 0 ||
      (r = verify_caps(&hdr, has_user, uid, gid, keep, last, what)) < 0)
    return r;
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
    *what = "PR_SET_NO_NEW_PRIVS";
    return -errno;
  }
  return 0;
}

uint64_t tj_caps_effective(void) {
  capng_clear(CAPNG_SELECT_BOTH);
  if (capng_get_caps_process() < 0)
    return 0;
  uint64_t caps = 0;
  int last = last_cap();
  for (int c = 0; c <= last && c < 64; c++)
    if (capng_have_capability(CAPNG_EFFECTIVE, (unsigned)c))
      caps |= 1ULL << c;
  return caps;
}
