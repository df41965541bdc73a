/* doctor's pure parts: reading /proc/self/status and naming why the kernel
 * refused a user namespace or a clone3 into new namespaces. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "cmd/doctor.h"

static const char status_docker[] = "Name:\tcat\n"
                                    "Umask:\t0022\n"
                                    "CapInh:\t0000000000000000\n"
                                    "CapPrm:\t00000000a80425fb\n"
                                    "CapEff:\t00000000a80425fb\n"
                                    "CapBnd:\t00000000a80425fb\n"
                                    "NoNewPrivs:\t0\n"
                                    "Seccomp:\t2\n"
                                    "Seccomp_filters:\t1\n";

static const char status_root[] = "Name:\tcat\n"
                                  "CapEff:\t000001ffffffffff\n"
                                  "Seccomp:\t0\n";

static void test_status_parse(void **state) {
  (void)state;
  uint64_t caps;
  int mode;
  assert_int_equal(tj_doctor_status_parse(status_docker, &caps, &mode), 0);
  assert_int_equal(caps, 0xa80425fbULL);
  assert_false(caps & (1ULL << 21)); /* Docker's default set: no CAP_SYS_ADMIN */
  assert_int_equal(mode, 2);
  assert_int_equal(tj_doctor_status_parse(status_root, &caps, &mode), 0);
  assert_true(caps & (1ULL << 21));
  assert_int_equal(mode, 0);
  /* "Seccomp_filters:" must not be read as "Seccomp:". */
  assert_int_equal(tj_doctor_status_parse("Name:\tx\nCapEff:\t0\nSeccomp_filters:\t3\n", &caps, &mode), 0);
  assert_int_equal(mode, 0);
  assert_int_equal(tj_doctor_status_parse("Name:\tx\nSeccomp:\t2\n", &caps, &mode), -EINVAL);
  assert_int_equal(tj_doctor_status_parse("Name:\tx\nCapEff:\tzz\n", &caps, &mode), -EINVAL);
}

static const struct tj_doctor_facts plain_user = {
    .root = false, .max_user_namespaces = 63000, .apparmor_restrict_userns = -1, .unprivileged_userns_clone = -1};

static void test_userns_max_zero(void **state) {
  (void)state;
  char buf[512];
  struct tj_doctor_facts f = plain_user;
  f.max_user_namespaces = 0;
  tj_doctor_userns_cause(&f, TJ_USERNS_UNSHARE, ENOSPC, buf, sizeof(buf));
  assert_non_null(strstr(buf, "unshare(CLONE_NEWUSER)"));
  assert_non_null(strstr(buf, "user.max_user_namespaces is 0"));
  f.max_user_namespaces = 10;
  tj_doctor_userns_cause(&f, TJ_USERNS_UNSHARE, ENOSPC, buf, sizeof(buf));
  assert_non_null(strstr(buf, "user.max_user_namespaces (10) is reached"));
}

static void test_userns_apparmor(void **state) {
  (void)state;
  char buf[512];
  struct tj_doctor_facts f = plain_user;
  f.apparmor_restrict_userns = 1;
  /* Ubuntu 24.04: the namespace is made, its capabilities are not given. */
  tj_doctor_userns_cause(&f, TJ_USERNS_MOUNTNS, EPERM, buf, sizeof(buf));
  assert_non_null(strstr(buf, "a mount namespace inside a new user namespace"));
  assert_non_null(strstr(buf, "kernel.apparmor_restrict_unprivileged_userns is 1"));
  /* Root is not restricted: the sysctl is not the cause then. */
  f.root = true;
  tj_doctor_userns_cause(&f, TJ_USERNS_MOUNTNS, EPERM, buf, sizeof(buf));
  assert_null(strstr(buf, "apparmor"));
}

static void test_userns_debian_sysctl(void **state) {
  (void)state;
  char buf[512];
  struct tj_doctor_facts f = plain_user;
  f.unprivileged_userns_clone = 0;
  tj_doctor_userns_cause(&f, TJ_USERNS_UNSHARE, EPERM, buf, sizeof(buf));
  assert_non_null(strstr(buf, "kernel.unprivileged_userns_clone is 0"));
}

static void test_userns_container_seccomp(void **state) {
  (void)state;
  char buf[512];
  struct tj_doctor_facts f = plain_user;
  f.root = true; /* root in a container without CAP_SYS_ADMIN */
  f.seccomp_mode = 2;
  f.in_container = true;
  tj_doctor_userns_cause(&f, TJ_USERNS_UNSHARE, EPERM, buf, sizeof(buf));
  assert_non_null(strstr(buf, "a seccomp filter denies it"));
  assert_non_null(strstr(buf, "--privileged"));
  assert_non_null(strstr(buf, "seccomp=unconfined"));
  /* With CAP_SYS_ADMIN the profile lets it through: not the cause. */
  f.cap_sys_admin = true;
  tj_doctor_userns_cause(&f, TJ_USERNS_UNSHARE, EPERM, buf, sizeof(buf));
  assert_null(strstr(buf, "seccomp filter"));
  assert_non_null(strstr(buf, "this container does not allow it"));
  /* Outside containers and security modules: a chroot. */
  f = plain_user;
  tj_doctor_userns_cause(&f, TJ_USERNS_UNSHARE, EPERM, buf, sizeof(buf));
  assert_non_null(strstr(buf, "chroot"));
}

static void test_clone3_causes(void **state) {
  (void)state;
  char buf[512];
  struct tj_doctor_facts f = {.root = true, .seccomp_mode = 2, .in_container = true};
  tj_doctor_clone3_cause(&f, EPERM, buf, sizeof(buf));
  assert_int_equal(strncmp(buf, "Operation not permitted: ", 25), 0);
  assert_non_null(strstr(buf, "a container without privileges (no CAP_SYS_ADMIN, a seccomp filter)"));
  assert_non_null(strstr(buf, "--privileged"));
  tj_doctor_clone3_cause(&f, ENOSYS, buf, sizeof(buf));
  assert_non_null(strstr(buf, "Linux 5.3"));
  /* A normal user's EPERM goes back to the user namespace check. */
  struct tj_doctor_facts u = plain_user;
  tj_doctor_clone3_cause(&u, EPERM, buf, sizeof(buf));
  assert_non_null(strstr(buf, "user namespaces are refused"));
  assert_null(strchr(buf, '\n'));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_status_parse),
      cmocka_unit_test(test_userns_max_zero),
      cmocka_unit_test(test_userns_apparmor),
      cmocka_unit_test(test_userns_debian_sysctl),
      cmocka_unit_test(test_userns_container_seccomp),
      cmocka_unit_test(test_clone3_causes),
  };
  return cmocka_run_group_tests_name("doctor", tests, NULL, NULL);
}
