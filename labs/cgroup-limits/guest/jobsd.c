/* jobsd — starts the cgroup-limits lab's two workloads and keeps them running:
 *
 *   echo "CGROUP UID" | jobsd        (as root)
 *
 * jobsd daemonizes (as root, in the cgroup it was started in — the agent's, outside the lab's),
 * then starts /opt/labs/cgroup-limits/crunch and /opt/labs/cgroup-limits/bloat as UID in the
 * cgroup directory CGROUP, and restarts either one a second after it ends (the learner's OOM kill
 * included, so a second try needs no new session). Every pid it starts is appended to
 * /run/kmap/jobs.pids as "NAME PID" — root-only, so the grader knows which processes are the
 * lab's. Prints its own pid once both run. */
#include "labkit.h"
#include <grp.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *const NAMES[2] = {"crunch", "bloat"};
static char cgroup[256];
static int uid;

static pid_t start(int which) {
  pid_t pid = fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    char path[300], exe[64];
    snprintf(path, sizeof path, "%s/cgroup.procs", cgroup);
    FILE *f = fopen(path, "w");
    if (!f || fprintf(f, "0\n") < 0 || fclose(f) != 0) _exit(126);
    if (setgroups(0, NULL) != 0 || setgid(uid) != 0 || setuid(uid) != 0) _exit(126);
    snprintf(exe, sizeof exe, "/opt/labs/cgroup-limits/%s", NAMES[which]);
    execl(exe, NAMES[which], (char *)NULL);
    _exit(127);
  }
  FILE *rec = fopen("/run/kmap/jobs.pids", "a");
  if (rec) {
    fprintf(rec, "%s %d\n", NAMES[which], (int)pid);
    fclose(rec);
  }
  return pid;
}

int main(int argc, char **argv) {
  (void)argv;
  if (argc != 1 || scanf("%255s %d", cgroup, &uid) != 2 || uid <= 0) {
    fprintf(stderr, "usage: echo 'CGROUP UID' | jobsd\n");
    return 2;
  }
  mkdir("/run/kmap", 0700);
  int ready = start_service("the workloads failed to start");
  detach_stdio();
  if (chdir("/") != 0) die("chdir");
  pid_t kids[2];
  for (int i = 0; i < 2; i++)
    if ((kids[i] = start(i)) < 0) _exit(1);
  service_ready(ready);
  for (;;) {
    int status;
    pid_t done = wait(&status);
    if (done < 0) {
      sleep(1);
      continue;
    }
    for (int i = 0; i < 2; i++)
      if (done == kids[i]) {
        sleep(1);
        kids[i] = start(i);
      }
  }
}
