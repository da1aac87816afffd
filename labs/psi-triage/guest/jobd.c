/* jobd — the psi-triage lab's batch jobs. Every job is the same program with the same name; what
 * one does is given on stdin (never on the command line, where `ps` would show it):
 *
 *   echo "MODE CGROUP UID" | jobd        (as root; MODE is cpu, memory, io or idle)
 *
 * jobd joins the cgroup directory CGROUP (its limits are set by whoever created it), drops to
 * UID, daemonizes and prints its pid once it runs. Its cgroup's limits turn each mode into a stall
 * that PSI sees while costing the host little:
 *   cpu     spins; the cgroup's cpu.max quota throttles it, so it waits runnable most of the time
 *   memory  keeps allocating and freeing more than the cgroup's memory.high; with no swap, the
 *           kernel's reclaim cannot get below the limit and throttles every allocation
 *   io      reads /mnt/lab/blob with O_DIRECT; the cgroup's io.max caps the read rate, so the job
 *           waits on the block layer
 *   idle    sleeps
 */
#include "labkit.h"
#include <grp.h>
#include <sys/mman.h>
#include <unistd.h>

#define MIB (1024L * 1024L)

static void run_cpu(void) {
  volatile unsigned long x = 0;
  for (;;) x = x * 2862933555777941757ul + 3037000493ul;
}

static void run_memory(void) {
  const long size = 24 * MIB;
  for (;;) {
    char *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
      sleep(1);
      continue;
    }
    for (long off = 0; off < size; off += 4096) p[off] = 1;
    munmap(p, size);
  }
}

static void run_io(void) {
  int fd = open("/mnt/lab/blob", O_RDONLY | O_DIRECT);
  if (fd < 0) die("/mnt/lab/blob");
  void *buf;
  if (posix_memalign(&buf, 4096, 64 * 1024) != 0) die("posix_memalign");
  for (;;) {
    ssize_t n = read(fd, buf, 64 * 1024);
    if (n <= 0) lseek(fd, 0, SEEK_SET);
  }
}

int main(int argc, char **argv) {
  (void)argv;
  char mode[16], cgroup[256];
  int uid;
  if (argc != 1 || scanf("%15s %255s %d", mode, cgroup, &uid) != 3) {
    fprintf(stderr, "usage: echo 'MODE CGROUP UID' | jobd   (MODE: cpu, memory, io, idle)\n");
    return 2;
  }
  if (strcmp(mode, "cpu") && strcmp(mode, "memory") && strcmp(mode, "io") && strcmp(mode, "idle")) {
    fprintf(stderr, "jobd: unknown mode %s\n", mode);
    return 2;
  }
  int ready = start_service("the job failed to start");
  join_cgroup(cgroup);
  if (setgroups(0, NULL) != 0 || setgid(uid) != 0 || setuid(uid) != 0) die("setuid");
  detach_stdio();
  if (chdir("/") != 0) die("chdir");
  service_ready(ready);
  if (!strcmp(mode, "cpu")) run_cpu();
  if (!strcmp(mode, "memory")) run_memory();
  if (!strcmp(mode, "io")) run_io();
  for (;;) sleep(60);
}
