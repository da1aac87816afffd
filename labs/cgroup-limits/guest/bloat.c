/* bloat — the cgroup-limits lab's memory hog. Every 100 ms it maps and touches a fresh 1 MiB chunk
 * and unmaps the oldest once it holds 64, so it keeps ~64 MiB resident and keeps charging new
 * pages to whatever cgroup it is in now (a cgroup move does not carry old charges along). In a
 * group whose memory.max is below that, with no swap, the group's OOM killer ends it. */
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#define CHUNK (1024L * 1024L)
#define RING 64

int main(void) {
  char *ring[RING] = {0};
  const struct timespec tick = {0, 100 * 1000 * 1000};
  for (unsigned long n = 0;; n++) {
    char **slot = &ring[n % RING];
    if (*slot) munmap(*slot, CHUNK);
    char *p = mmap(NULL, CHUNK, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    *slot = p == MAP_FAILED ? NULL : p;
    if (*slot) memset(*slot, (int)(n & 0xff) | 1, CHUNK);
    nanosleep(&tick, NULL);
  }
}
