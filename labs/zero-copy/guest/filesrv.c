/* filesrv — serves one file to one TCP client on 127.0.0.1, then exits. Out of the box it moves
 * the file with read(2) into a buffer and write(2) to the socket: every byte is copied into this
 * process and out again. The config chooses how the bytes travel.
 *
 *   filesrv --file FILE --port PORT [--config FILE]   serve FILE to the first client, then exit
 *   filesrv --fetch --port PORT --out FILE            connect (retrying for 10 s), save all bytes
 *
 * Config (key = value lines, # comments); nothing is read unless --config is given:
 *   method = readwrite|mmap|sendfile|splice
 *            readwrite: read(2) a chunk into a buffer, write(2) it to the socket (the default)
 *            mmap:      map the file, write(2) the mapping to the socket
 *            sendfile:  sendfile(2) from the file to the socket
 *            splice:    splice(2) file -> pipe, then pipe -> socket
 *   chunk  = 4096..1048576   bytes per call (default 4096)
 */
#include "labkit.h"
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

enum { READWRITE, MMAP, SENDFILE, SPLICE };
static const char *names[] = {"readwrite", "mmap", "sendfile", "splice"};
static int method = READWRITE;
static long chunk = 4096;

/* One "key = value" line of the config file (see the top of this file); 0 for an unknown key. */
static int set_option(const char *key, const char *val) {
  if (strcmp(key, "method") == 0) {
    int found = 0;
    for (int m = 0; m < 4; m++)
      if (strcmp(val, names[m]) == 0) method = m, found = 1;
    if (!found) fprintf(stderr, "filesrv: method must be readwrite, mmap, sendfile or splice (got %s)\n", val);
  } else if (strcmp(key, "chunk") == 0) {
    chunk = atol(val);
    if (chunk < 4096) chunk = 4096;
    if (chunk > 1048576) chunk = 1048576;
  } else {
    return 0;
  }
  return 1;
}

static void write_all(int fd, const char *p, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, p, n < (size_t)chunk ? n : (size_t)chunk);
    if (w < 0) die("write");
    p += w;
    n -= (size_t)w;
  }
}

static int serve(const char *file, int port) {
  int in = open(file, O_RDONLY);
  if (in < 0) die(file);
  struct stat st;
  if (fstat(in, &st) < 0) die("fstat");
  int ls = socket(AF_INET, SOCK_STREAM, 0);
  if (ls < 0) die("socket");
  int one = 1;
  setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in a = loopback(port);
  if (bind(ls, (struct sockaddr *)&a, sizeof a) < 0) die("bind");
  if (listen(ls, 1) < 0) die("listen");
  int s = accept(ls, NULL, NULL);
  if (s < 0) die("accept");
  close(ls);
  off_t size = st.st_size, sent = 0;
  if (method == READWRITE) {
    char *buf = malloc((size_t)chunk);
    if (!buf) die("malloc");
    for (;;) {
      ssize_t r = read(in, buf, (size_t)chunk);
      if (r < 0) die("read");
      if (r == 0) break;
      write_all(s, buf, (size_t)r);
      sent += r;
    }
  } else if (method == MMAP) {
    char *m = size ? mmap(NULL, (size_t)size, PROT_READ, MAP_SHARED, in, 0) : NULL;
    if (m == MAP_FAILED) die("mmap");
    write_all(s, m, (size_t)size);
    sent = size;
  } else if (method == SENDFILE) {
    while (sent < size) {
      ssize_t r = sendfile(s, in, NULL, (size_t)chunk);
      if (r < 0) die("sendfile");
      if (r == 0) break;
      sent += r;
    }
  } else {
    int p[2];
    if (pipe(p) < 0) die("pipe");
    while (sent < size) {
      ssize_t r = splice(in, NULL, p[1], NULL, (size_t)chunk, SPLICE_F_MOVE);
      if (r < 0) die("splice file->pipe");
      if (r == 0) break;
      for (ssize_t left = r; left > 0;) {
        ssize_t w = splice(p[0], NULL, s, NULL, (size_t)left, SPLICE_F_MOVE);
        if (w < 0) die("splice pipe->socket");
        left -= w;
      }
      sent += r;
    }
  }
  close(s);
  fprintf(stderr, "filesrv: sent %lld bytes with %s, chunk %ld\n", (long long)sent, names[method], chunk);
  return 0;
}

static int fetch(int port, const char *out) {
  int o = open(out, O_WRONLY | O_CREAT | O_EXCL, 0644);
  if (o < 0) die(out);
  int s = -1;
  for (int tries = 0; tries < 200; tries++) {
    s = socket(AF_INET, SOCK_STREAM, 0);
    if (s < 0) die("socket");
    struct sockaddr_in a = loopback(port);
    if (connect(s, (struct sockaddr *)&a, sizeof a) == 0) break;
    close(s);
    s = -1;
    struct timespec ts = {0, 50 * 1000 * 1000};
    nanosleep(&ts, NULL);
  }
  if (s < 0) die("connect");
  static char buf[65536];
  long long got = 0;
  for (;;) {
    ssize_t r = read(s, buf, sizeof buf);
    if (r < 0) die("read socket");
    if (r == 0) break;
    for (ssize_t off = 0; off < r;) {
      ssize_t w = write(o, buf + off, (size_t)(r - off));
      if (w < 0) die("write");
      off += w;
    }
    got += r;
  }
  close(o);
  printf("fetched %lld bytes\n", got);
  return 0;
}

int main(int argc, char **argv) {
  const char *file = NULL, *out = NULL;
  int port = 0, do_fetch = 0;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--file") == 0 && i + 1 < argc) file = argv[++i];
    else if (strcmp(argv[i], "--out") == 0 && i + 1 < argc) out = argv[++i];
    else if (strcmp(argv[i], "--port") == 0 && i + 1 < argc) port = atoi(argv[++i]);
    else if (strcmp(argv[i], "--config") == 0 && i + 1 < argc) read_config_file(argv[++i], 1, set_option);
    else if (strcmp(argv[i], "--fetch") == 0) do_fetch = 1;
    else {
      port = -1;
      break;
    }
  }
  if (port <= 0 || port > 65535 || (do_fetch ? !out : !file)) {
    fprintf(stderr, "usage: filesrv --file FILE --port PORT [--config FILE]\n       filesrv --fetch --port PORT --out FILE\n");
    return 2;
  }
  signal(SIGPIPE, SIG_IGN); /* a client that hangs up early is an error to report, not a signal */
  return do_fetch ? fetch(port, out) : serve(file, port);
}
