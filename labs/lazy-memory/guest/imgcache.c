/* imgcache — a pretend image-tile cache for the lazy-memory lab. It reserves a large anonymous
 * arena, writes to only part of it, maps its tile index file and reads part of that, then sits
 * idle. How much of each it does is drawn per lab session and given on stdin (never on the command
 * line, where `ps` would show the answers):
 *
 *   echo "ARENA_MIB TOUCH_MIB INDEX_FILE READ_MIB" | imgcache
 *
 * It daemonizes: the command returns once the memory is in place, printing the service's pid.
 * Pages are touched one byte per 4 KiB page, so every touched page costs exactly one first-touch
 * (minor) page fault in the arena; reads of the index file are served from the page cache, where
 * the kernel maps up to 16 neighbouring pages per fault (fault-around).
 */
#include "labkit.h"
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define MIB (1024L * 1024L)
#define PAGE 4096L

int main(int argc, char **argv) {
  (void)argv;
  if (argc != 1) {
    fprintf(stderr, "usage: echo 'ARENA_MIB TOUCH_MIB INDEX_FILE READ_MIB' | imgcache\n");
    return 2;
  }
  long arena_mib, touch_mib, read_mib;
  char index[256];
  if (scanf("%ld %ld %255s %ld", &arena_mib, &touch_mib, index, &read_mib) != 4 || arena_mib < 1 || touch_mib < 0 ||
      touch_mib > arena_mib || read_mib < 0) {
    fprintf(stderr, "imgcache: expected 'ARENA_MIB TOUCH_MIB INDEX_FILE READ_MIB' on stdin\n");
    return 2;
  }
  int ready = start_service("the service failed to start");
  int idx = open(index, O_RDONLY);
  if (idx < 0) die(index);
  struct stat st;
  if (fstat(idx, &st) != 0) die("fstat");
  if (read_mib * MIB > st.st_size) read_mib = st.st_size / MIB;

  const volatile char *tiles = mmap(NULL, st.st_size, PROT_READ, MAP_SHARED, idx, 0);
  if (tiles == MAP_FAILED) die("mmap index");
  close(idx);
  unsigned long sum = 0;
  for (long off = 0; off < read_mib * MIB; off += PAGE) sum += (unsigned char)tiles[off];

  /* The arena last: Linux 6.1 batches a task's RSS counters and folds them into /proc/PID/status
     every 64 faults, so ending on thousands of single-page faults leaves VmRSS at most 63 pages
     behind smaps_rollup (which walks the page tables). */
  char *arena = mmap(NULL, arena_mib * MIB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (arena == MAP_FAILED) die("mmap arena");
  madvise(arena, arena_mib * MIB, MADV_NOHUGEPAGE);
  for (long off = 0; off < touch_mib * MIB; off += PAGE) arena[off] = (char)(off >> 12);

  detach_stdio();
  if (chdir("/") != 0) die("chdir");
  service_ready(ready);
  (void)sum;
  for (;;) pause();
}
