/* crunch — the cgroup-limits lab's CPU hog: it computes forever and never sleeps, so it takes all
 * the CPU its cgroup lets it have. Started by jobsd; the learner caps it with cpu.max. */
int main(void) {
  volatile unsigned long x = 1;
  for (;;) x = x * 6364136223846793005ul + 1442695040888963407ul;
}
