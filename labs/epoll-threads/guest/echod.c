/* echod — a TCP echo service on 127.0.0.1, and the load generator the grader drives it with.
 * Out of the box it serves every connection with its own thread. The config switches it to one
 * epoll loop; how that loop waits and reads is configurable too, and one combination is wrong.
 *
 *   echod --port PORT [--config FILE] [--model threads|epoll] [--nofile N] [--nproc N] [--as-mib N]
 *       serve until killed; --nofile/--nproc/--as-mib lower this process's RLIMIT_NOFILE,
 *       RLIMIT_NPROC and RLIMIT_AS first (the lab's limits); --model overrides the config
 *   echod --load --port PORT --conns N [--rounds R] [--watch PID]
 *       open N connections, then R rounds of one 64-byte message on each, waiting up to 3 s for
 *       the echoes; prints how many connections got every echo, latencies, and (with --watch, as
 *       root) the server's threads, open fds and memory while all connections are open
 *
 * Config (key = value lines, # comments); nothing is read unless --config is given:
 *   model   = threads|epoll      one thread per connection (the default), or one epoll loop
 *   trigger = level|edge         (epoll) EPOLLIN level-triggered or edge-triggered (EPOLLET)
 *   reads   = one|drain          (epoll) read once per event, or read until EAGAIN
 * echod reads 32 bytes at a time, so a 64-byte message takes two reads.
 */
#include "labkit.h"
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define READ_SIZE 32
#define MSG 64

static int epoll_model = 0, edge = 0, drain = 0;

/* One "key = value" line of the config file (see the top of this file); 0 for an unknown key. */
static int set_option(const char *key, const char *val) {
  if (strcmp(key, "model") == 0) {
    if (strcmp(val, "threads") == 0) epoll_model = 0;
    else if (strcmp(val, "epoll") == 0) epoll_model = 1;
    else fprintf(stderr, "echod: model must be threads or epoll (got %s)\n", val);
  } else if (strcmp(key, "trigger") == 0) {
    if (strcmp(val, "level") == 0) edge = 0;
    else if (strcmp(val, "edge") == 0) edge = 1;
    else fprintf(stderr, "echod: trigger must be level or edge (got %s)\n", val);
  } else if (strcmp(key, "reads") == 0) {
    if (strcmp(val, "one") == 0) drain = 0;
    else if (strcmp(val, "drain") == 0) drain = 1;
    else fprintf(stderr, "echod: reads must be one or drain (got %s)\n", val);
  } else {
    return 0;
  }
  return 1;
}

static int write_all(int fd, const char *p, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w < 0) {
      if (errno == EAGAIN || errno == EINTR) continue;
      return -1;
    }
    p += w;
    n -= (size_t)w;
  }
  return 0;
}

static void sleep_ms(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

/* ------------------------------------------------------------------ thread per connection */
static void *conn_thread(void *arg) {
  int fd = (int)(long)arg;
  char buf[READ_SIZE];
  for (;;) {
    ssize_t r = read(fd, buf, sizeof buf);
    if (r <= 0 || write_all(fd, buf, (size_t)r) < 0) break;
  }
  close(fd);
  return NULL;
}

static void serve_threads(int ls) {
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  /* One descriptor in reserve. Out of descriptors (EMFILE), accept leaves the connection waiting
     in the listen backlog, and its client waits with it for a slot that may never come; giving
     the reserve back for a moment lets echod accept it and close it, so the client learns now. */
  int spare = open("/dev/null", O_RDONLY);
  for (;;) {
    int fd = accept(ls, NULL, NULL);
    if (fd < 0) {
      int e = errno;
      fprintf(stderr, "echod: accept: %s\n", strerror(e));
      if (e == EMFILE && spare >= 0) {
        close(spare);
        int c = accept(ls, NULL, NULL);
        if (c >= 0) close(c);
        spare = open("/dev/null", O_RDONLY);
      } else {
        sleep_ms(100);
      }
      continue;
    }
    pthread_t t;
    int e = pthread_create(&t, &attr, conn_thread, (void *)(long)fd);
    if (e != 0) {
      fprintf(stderr, "echod: pthread_create: %s\n", strerror(e));
      close(fd);
    }
  }
}

/* ------------------------------------------------------------------ one epoll loop */
static void serve_epoll(int ls) {
  int ep = epoll_create1(0);
  if (ep < 0) die("epoll_create1");
  fcntl(ls, F_SETFL, O_NONBLOCK);
  struct epoll_event ev = {.events = EPOLLIN, .data.fd = ls};
  if (epoll_ctl(ep, EPOLL_CTL_ADD, ls, &ev) < 0) die("epoll_ctl");
  struct epoll_event events[64];
  for (;;) {
    int n = epoll_wait(ep, events, 64, -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      die("epoll_wait");
    }
    for (int i = 0; i < n; i++) {
      int fd = events[i].data.fd;
      if (fd == ls) {
        for (;;) {
          int c = accept(ls, NULL, NULL);
          if (c < 0) {
            if (errno != EAGAIN) {
              fprintf(stderr, "echod: accept: %s\n", strerror(errno));
              sleep_ms(100);
            }
            break;
          }
          fcntl(c, F_SETFL, O_NONBLOCK);
          struct epoll_event cev = {.events = EPOLLIN | (edge ? EPOLLET : 0), .data.fd = c};
          if (epoll_ctl(ep, EPOLL_CTL_ADD, c, &cev) < 0) {
            fprintf(stderr, "echod: epoll_ctl: %s\n", strerror(errno));
            close(c);
          }
        }
        continue;
      }
      char buf[READ_SIZE];
      for (;;) {
        ssize_t r = read(fd, buf, sizeof buf);
        if (r > 0) {
          if (write_all(fd, buf, (size_t)r) < 0) r = 0;
        }
        if (r == 0 || (r < 0 && errno != EAGAIN)) {
          close(fd); /* also leaves the epoll set */
          break;
        }
        if (r < 0 || !drain) break;
      }
    }
  }
}

/* ------------------------------------------------------------------ the load generator */
static double now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static void watch(int pid) {
  char path[64], line[256];
  snprintf(path, sizeof path, "/proc/%d/status", pid);
  FILE *f = fopen(path, "r");
  if (!f) {
    printf("watch: %s: %s\n", path, strerror(errno));
    return;
  }
  long threads = -1, vmsize = -1, vmrss = -1;
  while (fgets(line, sizeof line, f)) {
    sscanf(line, "Threads: %ld", &threads);
    sscanf(line, "VmSize: %ld", &vmsize);
    sscanf(line, "VmRSS: %ld", &vmrss);
  }
  fclose(f);
  snprintf(path, sizeof path, "/proc/%d/fd", pid);
  long fds = 0;
  DIR *d = opendir(path);
  if (d) {
    struct dirent *e;
    while ((e = readdir(d)))
      if (e->d_name[0] != '.') fds++;
    closedir(d);
  }
  printf("peak threads=%ld fds=%ld vmsize_kb=%ld vmrss_kb=%ld\n", threads, fds, vmsize, vmrss);
}

/* The watched server has exited (or is a zombie): no use waiting for it to listen. */
static int server_gone(int pid) {
  char path[64], buf[256];
  snprintf(path, sizeof path, "/proc/%d/stat", pid);
  FILE *f = fopen(path, "r");
  if (!f) return 1;
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  buf[n] = 0;
  const char *close_paren = strrchr(buf, ')');
  return !close_paren || close_paren[1] != ' ' || close_paren[2] == 'Z' || close_paren[2] == 'X';
}

static int load(int port, int conns, int rounds, int pid) {
  struct rlimit rl = {(rlim_t)conns + 64, (rlim_t)conns + 64};
  setrlimit(RLIMIT_NOFILE, &rl);
  int *fds = calloc((size_t)conns, sizeof *fds);
  int *ok = calloc((size_t)conns, sizeof *ok);
  double *lat = calloc((size_t)conns * (size_t)rounds, sizeof *lat);
  if (!fds || !ok || !lat) die("calloc");
  for (int i = 0; i < conns; i++) {
    fds[i] = socket(AF_INET, SOCK_STREAM, 0);
    if (fds[i] < 0) die("socket");
    struct sockaddr_in a = loopback(port);
    /* The server may still be starting: the first connection retries for up to 10 s, while it lives. */
    for (int tries = 0; connect(fds[i], (struct sockaddr *)&a, sizeof a) < 0; tries++) {
      if (i > 0 || errno != ECONNREFUSED || tries >= 200) die("connect");
      if (pid > 0 && server_gone(pid)) {
        fprintf(stderr, "echod: connect: the server (pid %d) exited before it listened\n", pid);
        exit(1);
      }
      close(fds[i]);
      sleep_ms(50);
      fds[i] = socket(AF_INET, SOCK_STREAM, 0);
      if (fds[i] < 0) die("socket");
    }
    fcntl(fds[i], F_SETFL, O_NONBLOCK);
    ok[i] = 1;
  }
  int nlat = 0;
  struct pollfd *pfd = calloc((size_t)conns, sizeof *pfd);
  int *got = calloc((size_t)conns, sizeof *got);
  double *sent = calloc((size_t)conns, sizeof *sent);
  for (int r = 0; r < rounds; r++) {
    char msg[MSG];
    for (int i = 0; i < conns; i++) {
      got[i] = 0;
      if (!ok[i]) continue;
      for (int k = 0; k < MSG; k++) msg[k] = (char)('a' + (i + r + k) % 26);
      sent[i] = now_us();
      if (write_all(fds[i], msg, MSG) < 0) ok[i] = 0;
    }
    double deadline = now_us() + 3e6;
    for (;;) {
      int waiting = 0;
      for (int i = 0; i < conns; i++) {
        pfd[i].fd = ok[i] && got[i] < MSG ? fds[i] : -1;
        pfd[i].events = POLLIN;
        if (pfd[i].fd >= 0) waiting++;
      }
      double left = deadline - now_us();
      if (waiting == 0 || left <= 0) break;
      if (poll(pfd, (nfds_t)conns, (int)(left / 1000) + 1) < 0 && errno != EINTR) die("poll");
      for (int i = 0; i < conns; i++) {
        if (pfd[i].fd < 0 || !(pfd[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
        char buf[MSG];
        ssize_t n = read(fds[i], buf, (size_t)(MSG - got[i]));
        if (n <= 0) {
          if (n < 0 && errno == EAGAIN) continue;
          ok[i] = 0;
          continue;
        }
        for (ssize_t k = 0; k < n; k++)
          if (buf[k] != (char)('a' + (i + r + got[i] + k) % 26)) ok[i] = 0;
        got[i] += (int)n;
        if (got[i] == MSG) lat[nlat++] = now_us() - sent[i];
      }
    }
    for (int i = 0; i < conns; i++)
      if (got[i] < MSG) ok[i] = 0;
    if (r == 0 && pid > 0) watch(pid);
  }
  int served = 0;
  for (int i = 0; i < conns; i++) served += ok[i];
  qsort(lat, (size_t)nlat, sizeof *lat, cmp_double);
  double p50 = nlat ? lat[nlat / 2] : 0, p99 = nlat ? lat[(nlat * 99) / 100 < nlat ? (nlat * 99) / 100 : nlat - 1] : 0;
  printf("conns=%d served=%d rounds=%d echoes=%d p50_us=%.0f p99_us=%.0f max_us=%.0f\n", conns, served, rounds, nlat, p50, p99,
         nlat ? lat[nlat - 1] : 0);
  for (int i = 0; i < conns; i++) close(fds[i]);
  return 0;
}

static void lower(int resource, long value, const char *name) {
  struct rlimit rl = {(rlim_t)value, (rlim_t)value};
  if (setrlimit(resource, &rl) < 0) {
    fprintf(stderr, "echod: setrlimit %s %ld: %s\n", name, value, strerror(errno));
    exit(1);
  }
}

int main(int argc, char **argv) {
  int port = 0, conns = 0, rounds = 3, pid = 0, do_load = 0;
  long nofile = 0, nproc = 0, as_mib = 0;
  const char *model = NULL;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--port") == 0 && i + 1 < argc) port = atoi(argv[++i]);
    else if (strcmp(argv[i], "--config") == 0 && i + 1 < argc) read_config_file(argv[++i], 1, set_option);
    else if (strcmp(argv[i], "--model") == 0 && i + 1 < argc) model = argv[++i];
    else if (strcmp(argv[i], "--nofile") == 0 && i + 1 < argc) nofile = atol(argv[++i]);
    else if (strcmp(argv[i], "--nproc") == 0 && i + 1 < argc) nproc = atol(argv[++i]);
    else if (strcmp(argv[i], "--as-mib") == 0 && i + 1 < argc) as_mib = atol(argv[++i]);
    else if (strcmp(argv[i], "--load") == 0) do_load = 1;
    else if (strcmp(argv[i], "--conns") == 0 && i + 1 < argc) conns = atoi(argv[++i]);
    else if (strcmp(argv[i], "--rounds") == 0 && i + 1 < argc) rounds = atoi(argv[++i]);
    else if (strcmp(argv[i], "--watch") == 0 && i + 1 < argc) pid = atoi(argv[++i]);
    else {
      port = -1;
      break;
    }
  }
  if (port <= 0 || port > 65535 || (do_load && (conns < 1 || conns > 4000 || rounds < 1 || rounds > 100))) {
    fprintf(stderr,
            "usage: echod --port PORT [--config FILE] [--model threads|epoll] [--nofile N] [--nproc N] [--as-mib N]\n"
            "       echod --load --port PORT --conns N [--rounds R] [--watch PID]\n");
    return 2;
  }
  setvbuf(stdout, NULL, _IOLBF, 0);
  /* A client that hangs up while its echo is being written must not kill the whole service. */
  signal(SIGPIPE, SIG_IGN);
  if (do_load) return load(port, conns, rounds, pid);
  if (model) epoll_model = strcmp(model, "epoll") == 0;
  if (nofile) lower(RLIMIT_NOFILE, nofile, "nofile");
  if (nproc) lower(RLIMIT_NPROC, nproc, "nproc");
  if (as_mib) lower(RLIMIT_AS, as_mib * 1024 * 1024, "as");
  int ls = socket(AF_INET, SOCK_STREAM, 0);
  if (ls < 0) die("socket");
  int one = 1;
  setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in a = loopback(port);
  if (bind(ls, (struct sockaddr *)&a, sizeof a) < 0) die("bind");
  if (listen(ls, 4096) < 0) die("listen");
  fprintf(stderr, "echod: listening on 127.0.0.1:%d, %s\n", port, epoll_model ? (edge ? (drain ? "epoll, edge-triggered, reads until EAGAIN" : "epoll, edge-triggered, one read per event") : (drain ? "epoll, level-triggered, reads until EAGAIN" : "epoll, level-triggered, one read per event")) : "a thread per connection");
  if (epoll_model) serve_epoll(ls);
  else serve_threads(ls);
  return 0;
}
