#include "common/spec.h"

#include <string.h>

void tj_spec_defaults(struct tj_spec *spec) {
  memset(spec, 0, sizeof(*spec));
  spec->memory_bytes = spec->pids = spec->cpu_quota_us = spec->wall_timeout_ms = -1;
  spec->tmpfs_bytes = -1;
  spec->grace_ms = 2000;
}
