/* libFuzzer target: what go env -json and go list -json print. A GOFLAGS
 * value, a directory or package name, a go.mod of the module under test
 * all end up in that output. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "go/job.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  struct tj_go_env env;
  memset(&env, 0, sizeof(env));
  tj_error err = {0};
  if (tj_go_env_parse(&env, (const char *)data, size, &err) == 0) {
    if (strnlen(env.version, sizeof(env.version)) == sizeof(env.version) || env.minor < 0)
      abort();
  } else if (!err.msg[0])
    abort();
  struct tj_package *pkgs = NULL;
  int n = 0;
  memset(&err, 0, sizeof(err));
  int r = tj_go_list_parse((const char *)data, size, &pkgs, &n, &err);
  if (r < 0 && !err.msg[0])
    abort();
  for (int i = 0; i < n; i++)
    if (!pkgs[i].import_path || !pkgs[i].dir || !pkgs[i].binary || !pkgs[i].binary[0])
      abort();
  tj_packages_free(pkgs, n);
  return 0;
}
