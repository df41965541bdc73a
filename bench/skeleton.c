/* The least a sandbox of testjail's design does, for bench/startup.sh: clone3
 * into new pid, mount, ipc, uts, net and cgroup namespaces; PID 1 forks the
 * workload, which execs the command; each waits for its child. No mounts,
 * cgroups, capabilities, filter or output, so its cost is the floor under
 * any implementation of that design on the machine at hand. */
#define _GNU_SOURCE
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: skeleton COMMAND [ARG...]\n");
    return 125;
  }
  struct clone_args ca = {
      .flags = CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWNET | CLONE_NEWCGROUP,
      .exit_signal = SIGCHLD,
  };
  pid_t pid1 = (pid_t)syscall(SYS_clone3, &ca, sizeof(ca));
  if (pid1 < 0) {
    perror("skeleton: clone3");
    return 125;
  }
  if (pid1 == 0) {
    pid_t w = fork();
    if (w == 0) {
      execv(argv[1], argv + 1);
      _exit(127);
    }
    int st;
    _exit(w > 0 && waitpid(w, &st, 0) == w && WIFEXITED(st) ? WEXITSTATUS(st) : 125);
  }
  int st;
  return waitpid(pid1, &st, 0) == pid1 && WIFEXITED(st) ? WEXITSTATUS(st) : 125;
}
