/* Dropping privileges in the workload just before exec. */
#ifndef TJ_CAPS_H
#define TJ_CAPS_H

#include <stdbool.h>
#include <sys/types.h>

/* Clear every capability set (effective, permitted, inheritable, bounding,
 * ambient), switch ids when has_user, set no_new_privs, then verify. On
 * failure returns -errno and points *what at a static description. */
int tj_caps_drop(bool has_user, uid_t uid, gid_t gid, const char **what);

#endif
