/* ringread — reads a file in 4 KiB blocks and writes what it read to --out. Out of the box it
 * reads with one read(2) per block; the config can switch it to io_uring (raw syscalls, no
 * liburing) and choose how many reads go into each io_uring_enter(2).
 *
 *   ringread --file IN --out OUT [--config FILE]
 *
 * Config (key = value lines, # comments); nothing is read unless --config is given:
 *   engine = read|uring   read:  one read(2) per 4 KiB block (the default)
 *                         uring: IORING_OP_READ requests on a 64-entry ring
 *   batch  = 1..64        (uring) reads queued before each io_uring_enter(2), which submits them
 *                         and waits for all of their completions
 */
#include "labkit.h"
#include <errno.h>
#include <fcntl.h>
#include <linux/io_uring.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define BLOCK 4096
#define RING_ENTRIES 64

static int use_uring = 0, batch = 1;

/* One "key = value" line of the config file (see the top of this file); 0 for an unknown key. */
static int set_option(const char *key, const char *val) {
  if (strcmp(key, "engine") == 0) {
    if (strcmp(val, "read") == 0) use_uring = 0;
    else if (strcmp(val, "uring") == 0) use_uring = 1;
    else fprintf(stderr, "ringread: engine must be read or uring (got %s)\n", val);
  } else if (strcmp(key, "batch") == 0) {
    batch = atoi(val);
    if (batch < 1) batch = 1;
    if (batch > RING_ENTRIES) batch = RING_ENTRIES;
  } else {
    return 0;
  }
  return 1;
}

/* ------------------------------------------------------------------ the ring */
static int ring_fd;
static unsigned *sq_tail, *sq_mask, *sq_array, *cq_head, *cq_tail, *cq_mask;
static struct io_uring_sqe *sqes;
static struct io_uring_cqe *cqes;

static void ring_setup(void) {
  struct io_uring_params p;
  memset(&p, 0, sizeof p);
  ring_fd = (int)syscall(__NR_io_uring_setup, RING_ENTRIES, &p);
  if (ring_fd < 0) die("io_uring_setup");
  size_t sq_size = p.sq_off.array + p.sq_entries * sizeof(unsigned);
  size_t cq_size = p.cq_off.cqes + p.cq_entries * sizeof(struct io_uring_cqe);
  int single = p.features & IORING_FEAT_SINGLE_MMAP;
  if (single && cq_size > sq_size) sq_size = cq_size;
  char *sq = mmap(NULL, sq_size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, ring_fd, IORING_OFF_SQ_RING);
  if (sq == MAP_FAILED) die("mmap sq ring");
  char *cq = sq;
  if (!single) {
    cq = mmap(NULL, cq_size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, ring_fd, IORING_OFF_CQ_RING);
    if (cq == MAP_FAILED) die("mmap cq ring");
  }
  sq_tail = (unsigned *)(sq + p.sq_off.tail);
  sq_mask = (unsigned *)(sq + p.sq_off.ring_mask);
  sq_array = (unsigned *)(sq + p.sq_off.array);
  cq_head = (unsigned *)(cq + p.cq_off.head);
  cq_tail = (unsigned *)(cq + p.cq_off.tail);
  cq_mask = (unsigned *)(cq + p.cq_off.ring_mask);
  cqes = (struct io_uring_cqe *)(cq + p.cq_off.cqes);
  sqes = mmap(NULL, p.sq_entries * sizeof(struct io_uring_sqe), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, ring_fd,
              IORING_OFF_SQES);
  if (sqes == MAP_FAILED) die("mmap sqes");
}

/* Queues one read of block `idx` into buf; the kernel sees it at the next io_uring_enter. */
static void queue_read(int fd, char *buf, long idx) {
  unsigned tail = *sq_tail;
  unsigned slot = tail & *sq_mask;
  struct io_uring_sqe *e = &sqes[slot];
  memset(e, 0, sizeof *e);
  e->opcode = IORING_OP_READ;
  e->fd = fd;
  e->addr = (unsigned long)(buf + idx * BLOCK);
  e->len = BLOCK;
  e->off = (unsigned long long)idx * BLOCK;
  e->user_data = (unsigned long long)idx;
  sq_array[slot] = slot;
  __atomic_store_n(sq_tail, tail + 1, __ATOMIC_RELEASE);
}

/* Reaps every completion there is; returns how many, failing on an error or a short read. */
static int reap(long blocks, off_t size, long *done) {
  int n = 0;
  unsigned head = *cq_head;
  while (head != __atomic_load_n(cq_tail, __ATOMIC_ACQUIRE)) {
    struct io_uring_cqe *c = &cqes[head & *cq_mask];
    long idx = (long)c->user_data;
    long want = idx == blocks - 1 && size % BLOCK ? size % BLOCK : BLOCK;
    if (c->res < 0) {
      fprintf(stderr, "ringread: read of block %ld failed: %s\n", idx, strerror(-c->res));
      exit(1);
    }
    if (c->res != want) {
      fprintf(stderr, "ringread: short read of block %ld (%d of %ld bytes)\n", idx, c->res, want);
      exit(1);
    }
    head++;
    n++;
  }
  __atomic_store_n(cq_head, head, __ATOMIC_RELEASE);
  *done += n;
  return n;
}

int main(int argc, char **argv) {
  const char *in = NULL, *out = NULL;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--file") == 0 && i + 1 < argc) in = argv[++i];
    else if (strcmp(argv[i], "--out") == 0 && i + 1 < argc) out = argv[++i];
    else if (strcmp(argv[i], "--config") == 0 && i + 1 < argc) read_config_file(argv[++i], 1, set_option);
    else {
      fprintf(stderr, "usage: ringread --file IN --out OUT [--config FILE]\n");
      return 2;
    }
  }
  if (!in || !out) {
    fprintf(stderr, "usage: ringread --file IN --out OUT [--config FILE]\n");
    return 2;
  }
  int fd = open(in, O_RDONLY);
  if (fd < 0) die(in);
  struct stat st;
  if (fstat(fd, &st) < 0) die("fstat");
  long blocks = (long)((st.st_size + BLOCK - 1) / BLOCK);
  char *buf = malloc((size_t)blocks * BLOCK + 1);
  if (!buf) die("malloc");
  long done = 0, enters = 0;
  if (!use_uring) {
    for (long i = 0; i < blocks; i++) {
      ssize_t r = read(fd, buf + i * BLOCK, BLOCK);
      if (r < 0) die("read");
      done++;
    }
  } else {
    ring_setup();
    long next = 0;
    while (done < blocks) {
      int queued = 0;
      while (queued < batch && next < blocks) {
        queue_read(fd, buf, next++);
        queued++;
      }
      int r = (int)syscall(__NR_io_uring_enter, ring_fd, queued, queued, IORING_ENTER_GETEVENTS, NULL, 0);
      if (r < 0) die("io_uring_enter");
      enters++;
      reap(blocks, st.st_size, &done);
    }
  }
  int o = open(out, O_WRONLY | O_CREAT | O_EXCL, 0644);
  if (o < 0) die(out);
  for (off_t off = 0; off < st.st_size;) {
    ssize_t w = write(o, buf + off, (size_t)(st.st_size - off));
    if (w < 0) die("write");
    off += w;
  }
  close(o);
  if (use_uring)
    fprintf(stderr, "ringread: %ld blocks through io_uring, batch %d, %ld io_uring_enter calls\n", blocks, batch, enters);
  else
    fprintf(stderr, "ringread: %ld blocks with read(2)\n", blocks);
  return 0;
}
