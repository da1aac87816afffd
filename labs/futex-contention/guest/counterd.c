/* counterd — a small "service" whose worker threads share three locks: accounts, sessions and
 * metrics. One of them (chosen by --seed, so every lab session differs) guards the hot path and
 * is held across a blocking call and is contended; the others are taken rarely. The learner finds which one with strace/perf
 * trace/wchan and then removes the contention with the config the program reads.
 *
 *   counterd --locks                  print each lock's name and address (match futex uaddrs)
 *   counterd --serve  --seed S [--config FILE]           run forever (the lab's service)
 *   counterd --ops N  --seed S [--config FILE] [--threads T]   run N operations, print a summary
 *
 * Config (key = value lines, # comments):
 *   shards  = 1..64   split the hot counter into this many shards, each with its own lock;
 *                     thread i uses shard i % shards, the total is summed at the end.
 *   locking = on|off  off takes no lock on the hot path at all (lost updates: wrong total).
 */
#include "labkit.h"
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_SHARDS 64
#define MAX_THREADS 16

static const char *lock_names[3] = {"accounts", "sessions", "metrics"};
pthread_mutex_t accounts_lock = PTHREAD_MUTEX_INITIALIZER;
pthread_mutex_t sessions_lock = PTHREAD_MUTEX_INITIALIZER;
pthread_mutex_t metrics_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t *locks[3] = {&accounts_lock, &sessions_lock, &metrics_lock};

struct shard {
  pthread_mutex_t lock;
  volatile unsigned long value;
  char pad[64];
};
static struct shard shards[MAX_SHARDS];
static volatile unsigned long cold[3];

static int hot = 0;
static int nshards = 1;
static int locking = 1;
static long ops_per_thread = -1; /* -1: serve forever */

static void spin(int n) {
  volatile unsigned x = 0;
  for (int i = 0; i < n; i++) x += i * 2654435761u;
}

/* "Writes the audit record": a short sleep, standing in for I/O done under the lock. */
static void audit_flush(void) {
  struct timespec ts = {0, 20000};
  nanosleep(&ts, NULL);
}

static void *worker(void *arg) {
  long id = (long)arg;
  struct shard *s = &shards[id % nshards];
  /* With one shard the hot lock is the named mutex itself, so a futex on it shows its address. */
  pthread_mutex_t *hot_lock = nshards == 1 ? locks[hot] : &s->lock;
  for (long i = 0; ops_per_thread < 0 || i < ops_per_thread; i++) {
    if (locking) pthread_mutex_lock(hot_lock);
    unsigned long v = s->value;
    spin(50);
    audit_flush(); /* the bug: a blocking call while holding the lock */
    s->value = v + 1;
    if (locking) pthread_mutex_unlock(hot_lock);
    spin(40);
    /* As a service, work comes in bursts: keeps an idle lab VM from burning a host core. */
    if (ops_per_thread < 0 && i % 200 == 199) {
      struct timespec pause = {0, 200 * 1000 * 1000};
      nanosleep(&pause, NULL);
    }
    if ((i & 63) == 0) {
      int c = (hot + 1 + (i >> 6) % 2) % 3; /* a cold lock, briefly */
      pthread_mutex_lock(locks[c]);
      cold[c]++;
      pthread_mutex_unlock(locks[c]);
    }
  }
  return NULL;
}

/* One "key = value" line of the config file (see the top of this file); 0 for an unknown key. */
static int set_option(const char *key, const char *val) {
  if (strcmp(key, "shards") == 0) {
    nshards = atoi(val);
    if (nshards < 1) nshards = 1;
    if (nshards > MAX_SHARDS) nshards = MAX_SHARDS;
  } else if (strcmp(key, "locking") == 0) {
    locking = strcmp(val, "off") != 0;
  } else {
    return 0;
  }
  return 1;
}

int main(int argc, char **argv) {
  unsigned long seed = 1;
  int threads = 4, serve = 0;
  long ops = 0;
  const char *config = NULL;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--locks") == 0) {
      for (int l = 0; l < 3; l++) printf("%s %p\n", lock_names[l], (void *)locks[l]);
      return 0;
    } else if (strcmp(argv[i], "--serve") == 0) serve = 1;
    else if (strcmp(argv[i], "--seed") == 0 && i + 1 < argc) seed = strtoul(argv[++i], NULL, 0);
    else if (strcmp(argv[i], "--ops") == 0 && i + 1 < argc) ops = atol(argv[++i]);
    else if (strcmp(argv[i], "--threads") == 0 && i + 1 < argc) threads = atoi(argv[++i]);
    else if (strcmp(argv[i], "--config") == 0 && i + 1 < argc) config = argv[++i];
    else {
      fprintf(stderr, "usage: counterd --locks | --serve --seed S [--config F] | --ops N --seed S [--config F] [--threads T]\n");
      return 2;
    }
  }
  if (!serve && ops <= 0) {
    fprintf(stderr, "counterd: give --serve or --ops N\n");
    return 2;
  }
  if (threads < 1) threads = 1;
  if (threads > MAX_THREADS) threads = MAX_THREADS;
  hot = (int)((seed * 2654435761ul >> 7) % 3);
  if (config) read_config_file(config, 0, set_option);
  for (int s = 0; s < MAX_SHARDS; s++) pthread_mutex_init(&shards[s].lock, NULL);
  ops_per_thread = serve ? -1 : ops / threads;
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  pthread_t tid[MAX_THREADS];
  for (long t = 0; t < threads; t++) pthread_create(&tid[t], NULL, worker, (void *)t);
  for (int t = 0; t < threads; t++) pthread_join(tid[t], NULL);
  clock_gettime(CLOCK_MONOTONIC, &t1);
  unsigned long total = 0;
  for (int s = 0; s < nshards; s++) total += shards[s].value;
  unsigned long expected = (unsigned long)ops_per_thread * threads;
  double ms = (t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6;
  printf("counterd ops=%lu total=%lu lost=%lu threads=%d shards=%d locking=%s elapsed_ms=%.0f ops_per_s=%.0f\n", expected, total,
         expected - total, threads, nshards, locking ? "on" : "off", ms, ms > 0 ? expected / (ms / 1e3) : 0.0);
  return total == expected ? 0 : 3;
}
