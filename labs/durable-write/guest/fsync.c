/* fsync PATH... — open each path (a file or a directory) and fsync(2) it. busybox has no fsync
   applet; the durable-write lab gives learners this one. */
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

int main(int argc, char **argv) {
  int rc = 0;
  for (int i = 1; i < argc; i++) {
    int fd = open(argv[i], O_RDONLY);
    if (fd < 0 || fsync(fd) != 0) {
      perror(argv[i]);
      rc = 1;
    }
    if (fd >= 0) close(fd);
  }
  return rc;
}
