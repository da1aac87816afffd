/* slowd — the slow-service lab's service. Started once per session by the grader, as root:
 *
 *   echo "CGROUP UID CONF" | slowd
 *
 * slowd joins the cgroup directory CGROUP (the grader sets its limits), drops to UID, daemonizes
 * and prints its pid once it runs. Then it serves one request every 100 ms. A request costs three
 * things, each set in the learner's config file CONF (re-read before every request):
 *
 *   hash_rounds  CPU: rounds of hash_block() over a small buffer
 *   scratch_mb   memory: a fresh scratch buffer of that many MiB, touched page by page, then freed
 *   read_kb      I/O: that many KiB read with O_DIRECT from /mnt/lab/blob (past the page cache)
 *
 * A request in flight stops early when the config file changes, so a fix shows within a second.
 * Values are clamped to a floor (a request always does some of each) and a ceiling (the host's
 * sake). With the cgroup's limits, one knob set too high turns into a stall PSI sees.
 */
#include "labkit.h"
#include <grp.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MIB (1024L * 1024L)

struct conf {
  long hash_rounds, scratch_mb, read_kb;
};

static const char *conf_path;
static struct timespec conf_mtime;

/* True once the config file changed since the last read: a long request stops early, so a fix
 * takes effect at once instead of after the request in flight. */
static int conf_changed(void) {
  struct stat st;
  if (stat(conf_path, &st) != 0) return 0;
  return st.st_mtim.tv_sec != conf_mtime.tv_sec || st.st_mtim.tv_nsec != conf_mtime.tv_nsec;
}

static long clamp(long v, long lo, long hi) { return v < lo ? lo : v > hi ? hi : v; }

static void read_conf(struct conf *c) {
  struct stat st;
  if (stat(conf_path, &st) == 0) conf_mtime = st.st_mtim;
  FILE *f = fopen(conf_path, "r");
  if (!f) return; /* keep the last values */
  char line[128];
  while (fgets(line, sizeof line, f)) {
    char key[32];
    long v;
    if (sscanf(line, " %31[a-z_] = %ld", key, &v) != 2) continue;
    if (!strcmp(key, "hash_rounds")) c->hash_rounds = clamp(v, 1000, 100000000);
    if (!strcmp(key, "scratch_mb")) c->scratch_mb = clamp(v, 1, 64);
    if (!strcmp(key, "read_kb")) c->read_kb = clamp(v, 4, 4096);
  }
  fclose(f);
}

static unsigned char block[256];

/* Not a real hash: enough work per round that perf top puts this function first when it dominates. */
__attribute__((noinline)) static unsigned long hash_block(long rounds) {
  unsigned long h = 1469598103934665603ul;
  for (long r = 0; r < rounds; r++) {
    for (int i = 0; i < 16; i++) h = (h ^ block[(r + i) & 255]) * 1099511628211ul;
    if ((r & 65535) == 65535 && conf_changed()) break;
  }
  return h;
}

__attribute__((noinline)) static void fill_scratch(long mb) {
  long size = mb * MIB;
  char *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) return;
  for (long off = 0; off < size; off += 4096) {
    p[off] = 1;
    if ((off & (MIB - 1)) == 0 && conf_changed()) break;
  }
  munmap(p, size);
}

__attribute__((noinline)) static void read_blob(int fd, void *buf, long kb) {
  long want = kb * 1024, done = 0;
  while (done < want) {
    long chunk = want - done < 65536 ? want - done : 65536;
    ssize_t n = pread(fd, (char *)buf + done, (size_t)chunk, done);
    if (n <= 0) break;
    done += n;
    if (conf_changed()) break;
  }
}

int main(int argc, char **argv) {
  (void)argv;
  char cgroup[256], conf[256];
  int uid;
  if (argc != 1 || scanf("%255s %d %255s", cgroup, &uid, conf) != 3) {
    fprintf(stderr, "usage: echo 'CGROUP UID CONF' | slowd\n");
    return 2;
  }
  int ready = start_service("the service failed to start");
  conf_path = conf;
  join_cgroup(cgroup);
  if (setgroups(0, NULL) != 0 || setgid(uid) != 0 || setuid(uid) != 0) die("setuid");
  int fd = open("/mnt/lab/blob", O_RDONLY | O_DIRECT);
  if (fd < 0) die("/mnt/lab/blob");
  void *buf;
  if (posix_memalign(&buf, 4096, 4096 * 1024) != 0) die("posix_memalign");
  detach_stdio();
  if (chdir("/") != 0) die("chdir");
  for (int i = 0; i < 256; i++) block[i] = (unsigned char)(i * 37);
  service_ready(ready);
  struct conf c = {2000, 2, 4};
  struct timespec gap = {0, 100 * 1000 * 1000};
  volatile unsigned long sink = 0;
  for (;;) {
    read_conf(&c);
    sink += hash_block(c.hash_rounds);
    fill_scratch(c.scratch_mb);
    read_blob(fd, buf, c.read_kb);
    nanosleep(&gap, NULL);
  }
}
