#include "sandbox/workdir.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cgroup/cgroup.h"
#include "common/util.h"

const char *tj_workdir_parent(void) {
  const char *tmp = getenv("TMPDIR");
  return tmp && *tmp == '/' ? tmp : "/tmp";
}

int tj_workdir_make(char *buf, size_t size, tj_error *err) {
  char name[128];
  if (tj_cg_new_name(name, sizeof(name), err) < 0)
    return -EINVAL;
  snprintf(buf, size, "%s/%s", tj_workdir_parent(), name);
  if (mkdir(buf, 0700) < 0)
    return tj_error_set(err, errno, "work directory %s", buf);
  chmod(buf, 0711);
  return 0;
}

int tj_workdir_gc(int *removed, tj_error *err) {
  *removed = 0;
  const char *parent = tj_workdir_parent();
  DIR *d = opendir(parent);
  if (!d)
    return errno == ENOENT ? 0 : tj_error_set(err, errno, "reading %s", parent);
  struct dirent *e;
  while ((e = readdir(d))) {
    if (strncmp(e->d_name, "testjail-", 9) != 0 || !tj_cg_name_is_stale(e->d_name))
      continue;
    struct stat st;
    /* Only a directory of our own: another user's name proves nothing. */
    if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISDIR(st.st_mode) || st.st_uid != geteuid())
      continue;
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s", parent, e->d_name);
    tj_remove_tree(path);
    if (faccessat(dirfd(d), e->d_name, F_OK, AT_SYMLINK_NOFOLLOW) < 0)
      (*removed)++;
  }
  closedir(d);
  return 0;
}
