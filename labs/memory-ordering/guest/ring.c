/*
 * ring — one producer thread hands messages to one consumer thread through a single-producer,
 * single-consumer ring of 64 slots, the way a logger hands lines to its writer thread, or a
 * network driver hands packets to the stack.
 *
 *   ring [messages] [seed]       default: 100000 messages, seed 1
 *
 * It prints one line: how many messages arrived, in order and intact, and a checksum of their
 * values. It is correct on x86_64. Whether it is correct on ARM64 depends on two functions,
 * ring_push() and ring_pop(): read them with the memory model of the machine in mind.
 *
 * Rebuild in the VM:  ~/build      (tcc, with GCC's __atomic builtins available; see README)
 * The grader builds this file itself with gcc -O2 for x86_64 and for aarch64, reads the machine
 * code of ring_push and ring_pop, and runs its own build.
 */
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define SLOTS 64 /* a power of two */

struct msg {
  uint64_t seq;   /* 0, 1, 2, … */
  uint64_t value; /* the payload */
  uint64_t check; /* value ^ seq ^ a constant: a torn or stale slot shows here */
};

static struct msg slots[SLOTS];
static unsigned head; /* written only by the producer: messages published so far */
static unsigned tail; /* written only by the consumer: messages taken so far */

/*
 * Written for x86_64, where the CPU keeps stores in order with other stores and loads in order with
 * other loads (and never moves a store ahead of an earlier load). All the code needs there is to
 * stop the compiler from reordering, which compiler_barrier() does. It emits no instruction.
 */
#ifdef __TINYC__
#define compiler_barrier() ((void)0) /* tcc does not optimise, so it never reorders */
#else
#define compiler_barrier() __asm__ __volatile__("" ::: "memory")
#endif

/* Producer side: copies *m into the ring. Returns 0 when the ring is full. */
__attribute__((noinline)) int ring_push(const struct msg *m) {
  unsigned h = head;
  unsigned t = tail; /* how far has the consumer got? */
  compiler_barrier();
  if (h - t == SLOTS) return 0;
  slots[h % SLOTS] = *m; /* write the message… */
  compiler_barrier();
  head = h + 1; /* …then publish it */
  return 1;
}

/* Consumer side: copies the oldest message to *out. Returns 0 when the ring is empty. */
__attribute__((noinline)) int ring_pop(struct msg *out) {
  unsigned t = tail;
  unsigned h = head; /* how many are published? */
  compiler_barrier();
  if (h == t) return 0;
  *out = slots[t % SLOTS]; /* read the message… */
  compiler_barrier();
  tail = t + 1; /* …then hand its slot back */
  return 1;
}

/* ---- the test around the ring: nothing below needs to change ---- */

#define CHECK_KEY 0x9e3779b97f4a7c15ULL

static uint64_t next_value(uint64_t *state) { /* splitmix64 */
  uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

static uint64_t messages = 100000, seed = 1;

static void *producer(void *arg) {
  (void)arg;
  uint64_t state = seed;
  for (uint64_t i = 0; i < messages; i++) {
    struct msg m;
    m.seq = i;
    m.value = next_value(&state);
    m.check = m.value ^ m.seq ^ CHECK_KEY;
    while (!ring_push(&m)) sched_yield();
  }
  return NULL;
}

int main(int argc, char **argv) {
  if (argc > 1) messages = strtoull(argv[1], NULL, 10);
  if (argc > 2) seed = strtoull(argv[2], NULL, 10);
  if (messages == 0 || messages > 100000000) {
    fprintf(stderr, "ring: messages must be 1..100000000\n");
    return 2;
  }
  pthread_t p;
  if (pthread_create(&p, NULL, producer, NULL) != 0) {
    perror("pthread_create");
    return 1;
  }
  uint64_t got = 0, bad = 0, sum = 0;
  while (got < messages) {
    struct msg m;
    if (!ring_pop(&m)) {
      sched_yield();
      continue;
    }
    if (m.seq != got || (m.value ^ m.seq ^ CHECK_KEY) != m.check) bad++;
    sum += m.value;
    got++;
  }
  pthread_join(p, NULL);
  printf("ring messages=%llu bad=%llu sum=%016llx\n", (unsigned long long)got, (unsigned long long)bad, (unsigned long long)sum);
  return bad == 0 ? 0 : 1;
}
