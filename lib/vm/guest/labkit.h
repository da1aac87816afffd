/*
 * labkit.h — what the lab programs (the .c files in labs/<lab>/guest) share: failing loudly, reading the
 * learner's "key = value" config file, starting a service that outlives its launcher, and the
 * loopback address the lab servers listen on.
 *
 * Each program includes it first (it defines _GNU_SOURCE for them) and gets its own static copy;
 * the image build compiles with -I lib/vm/guest and puts this file beside every program's source
 * in the guest (/opt/labs/<lab>/src/), so what the learner reads is complete.
 */
#ifndef KMAP_LABKIT_H
#define KMAP_LABKIT_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define LABKIT_UNUSED __attribute__((unused))

/* "<program>: <what>: <why>" on stderr, exit 1. */
LABKIT_UNUSED static void die(const char *what) {
  fprintf(stderr, "%s: %s: %s\n", program_invocation_short_name, what, strerror(errno));
  exit(1);
}

/*
 * Reads a config file of "key = value" lines (keys a-z and _, values one word; '#' starts a
 * comment) and hands each pair to `set`, which returns 0 for a key it does not know (said on
 * stderr and ignored). A file that cannot be opened ends the program with exit 2 when `required`,
 * else leaves every setting at its default.
 */
LABKIT_UNUSED static void read_config_file(const char *path, int required, int (*set)(const char *key, const char *val)) {
  FILE *f = fopen(path, "r");
  if (!f) {
    if (!required) return;
    fprintf(stderr, "%s: %s: %s\n", program_invocation_short_name, path, strerror(errno));
    exit(2);
  }
  char line[256];
  while (fgets(line, sizeof line, f)) {
    char key[64], val[64];
    char *hash = strchr(line, '#');
    if (hash) *hash = 0;
    if (sscanf(line, " %63[a-z_] = %63s", key, val) != 2) continue;
    if (!set(key, val)) fprintf(stderr, "%s: unknown config key %s (ignored)\n", program_invocation_short_name, key);
  }
  fclose(f);
}

/*
 * Starts a service in the background. The launcher (the calling process) waits until the service
 * calls service_ready(), prints the service's pid on stdout and exits 0 — or exits 1 saying
 * "<program>: <failed>" if the service ended first. Returns only in the service: a new session,
 * with the descriptor service_ready() needs.
 */
LABKIT_UNUSED static int start_service(const char *failed) {
  int ready[2];
  if (pipe(ready) != 0) die("pipe");
  pid_t pid = fork();
  if (pid < 0) die("fork");
  if (pid > 0) {
    close(ready[1]);
    char c;
    if (read(ready[0], &c, 1) != 1) {
      fprintf(stderr, "%s: %s\n", program_invocation_short_name, failed);
      exit(1);
    }
    printf("%d\n", (int)pid);
    exit(0);
  }
  close(ready[0]);
  setsid();
  return ready[1];
}

/* Lets the launcher go: the service is in place. */
LABKIT_UNUSED static void service_ready(int fd) {
  if (write(fd, "1", 1) != 1) die("ready");
  close(fd);
}

/* stdin, stdout and stderr to /dev/null: a service does not write to the terminal it came from. */
LABKIT_UNUSED static void detach_stdio(void) {
  int null = open("/dev/null", O_RDWR);
  if (null < 0) return;
  dup2(null, 0);
  dup2(null, 1);
  dup2(null, 2);
  if (null > 2) close(null);
}

/* Moves this process into a cgroup (a directory under /sys/fs/cgroup). */
LABKIT_UNUSED static void join_cgroup(const char *dir) {
  char procs[300];
  snprintf(procs, sizeof procs, "%s/cgroup.procs", dir);
  FILE *f = fopen(procs, "w");
  if (!f || fprintf(f, "%d\n", (int)getpid()) < 0 || fclose(f) != 0) die(procs);
}

/* 127.0.0.1:port, for the lab servers and the grader's clients of them. */
LABKIT_UNUSED static struct sockaddr_in loopback(int port) {
  struct sockaddr_in a;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_port = htons((unsigned short)port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return a;
}

#endif
