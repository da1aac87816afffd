/* sandboxd — the namespaces lab's target: a process that does nothing but exist, so the grader
 * can look at it from outside (/proc/PID/ns/*, its /proc view, its mount table, its hostname).
 * It says once what it sees from inside, then sleeps until killed. */
#include <stdio.h>
#include <unistd.h>

int main(void) {
  char host[256] = "?";
  gethostname(host, sizeof host - 1);
  printf("sandboxd: I am pid %d here, my hostname is %s\n", (int)getpid(), host);
  fflush(stdout);
  for (;;) pause();
}
