#include "caps.h"

#include <cap-ng.h>
#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

static int last_cap(void) {
  int c = CAP_LAST_CAP;
  /* The running kernel may know more capabilities than our headers. */
  while (prctl(PR_CAPBSET_READ, c + 1, 0, 0, 0) >= 0)
    c++;
  return c;
}

int tj_caps_drop(bool has_user, uid_t uid, gid_t gid, const char **what) {
  if (has_user) {
    if (setgroups(0, NULL) < 0) {
      *what = "setgroups";
      return -errno;
    }
  }
  capng_clear(CAPNG_SELECT_ALL);
  int r = has_user ? capng_change_id((int)uid, (int)gid, CAPNG_DROP_SUPP_GRP | CAPNG_CLEAR_BOUNDING)
                   : capng_apply(CAPNG_SELECT_ALL);
  if (r < 0) {
    *what = has_user ? "capng_change_id" : "capng_apply";
    return errno ? -errno : -EPERM;
  }
  /* Debian 12's libcap-ng can report success and leave the bounding set
   * untouched; check each bit and drop what is left by hand. */
  int last = last_cap();
  for (int c = 0; c <= last; c++) {
    errno = 0;
    int held = prctl(PR_CAPBSET_READ, c, 0, 0, 0);
    if (held == 0)
      continue;
    if (held < 0 || prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0 || prctl(PR_CAPBSET_READ, c, 0, 0, 0) != 0) {
      *what = "bounding set still holds a capability";
      return errno ? -errno : -EPERM;
    }
  }
  if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL) {
    *what = "PR_CAP_AMBIENT_CLEAR_ALL";
    return -errno;
  }
  struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
  struct __user_cap_data_struct data[2] = {0};
  if (syscall(SYS_capset, &hdr, data) < 0) {
    *what = "capset";
    return -errno;
  }
  if (syscall(SYS_capget, &hdr, data) < 0 || data[0].effective || data[0].permitted || data[0].inheritable ||
      data[1].effective || data[1].permitted || data[1].inheritable) {
    *what = "capabilities still present after the drop";
    return -EPERM;
  }
  if (has_user && (getuid() != uid || geteuid() != uid || getgid() != gid || getegid() != gid)) {
    *what = "ids did not change";
    return -EPERM;
  }
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
    *what = "PR_SET_NO_NEW_PRIVS";
    return -errno;
  }
  return 0;
}
