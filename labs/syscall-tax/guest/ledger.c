/* ledger — writes N ledger records (id, account, amount) to a file. Out of the box it writes
 * every field with its own write(2): correct, and slow because each record pays the syscall tax
 * several times. The learner finds that with strace -c / perf trace -s and changes the config.
 *
 *   ledger --out FILE [--records N] [--config FILE]
 *
 * Config (key = value lines, # comments), default ~/ledger.conf is NOT read implicitly:
 *   flush = fields|write|writev   fields: one write(2) per field (the default)
 *                                 write:  format the batch into one buffer, one write(2)
 *                                 writev: one writev(2) per batch, an iovec per field
 *   batch = 1..1024               records gathered before each flush (write/writev)
 */
#include "labkit.h"
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#define MAX_BATCH 1024
#define FIELDS 4 /* id, account, amount, newline */

enum { FIELDS_MODE, WRITE_MODE, WRITEV_MODE };
static int mode = FIELDS_MODE, batch = 1;

/* One "key = value" line of the config file (see the top of this file); 0 for an unknown key. */
static int set_option(const char *key, const char *val) {
  if (strcmp(key, "flush") == 0) {
    if (strcmp(val, "fields") == 0) mode = FIELDS_MODE;
    else if (strcmp(val, "write") == 0) mode = WRITE_MODE;
    else if (strcmp(val, "writev") == 0) mode = WRITEV_MODE;
    else fprintf(stderr, "ledger: flush must be fields, write or writev (got %s)\n", val);
  } else if (strcmp(key, "batch") == 0) {
    batch = atoi(val);
    if (batch < 1) batch = 1;
    if (batch > MAX_BATCH) batch = MAX_BATCH;
  } else {
    return 0;
  }
  return 1;
}

static void write_all(int fd, const char *p, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w < 0) {
      perror("write");
      exit(1);
    }
    p += w;
    n -= (size_t)w;
  }
}

static char fields[MAX_BATCH][FIELDS][24];

int main(int argc, char **argv) {
  const char *out = NULL, *config = NULL;
  long records = 20000;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--out") == 0 && i + 1 < argc) out = argv[++i];
    else if (strcmp(argv[i], "--records") == 0 && i + 1 < argc) records = atol(argv[++i]);
    else if (strcmp(argv[i], "--config") == 0 && i + 1 < argc) config = argv[++i];
    else {
      fprintf(stderr, "usage: ledger --out FILE [--records N] [--config FILE]\n");
      return 2;
    }
  }
  if (!out || records < 1) {
    fprintf(stderr, "usage: ledger --out FILE [--records N] [--config FILE]\n");
    return 2;
  }
  if (config) read_config_file(config, 1, set_option);
  int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) {
    perror(out);
    return 1;
  }
  static char buf[MAX_BATCH * FIELDS * 24];
  static struct iovec iov[MAX_BATCH * FIELDS];
  int pending = 0;
  for (long r = 0; r < records; r++) {
    char(*f)[24] = fields[pending];
    snprintf(f[0], 24, "%08ld,", r);
    snprintf(f[1], 24, "acct-%04ld,", (r * 7919) % 10000);
    snprintf(f[2], 24, "%ld.%02ld", (r * 104729) % 100000, r % 100);
    strcpy(f[3], "\n");
    if (mode == FIELDS_MODE) {
      for (int k = 0; k < FIELDS; k++) write_all(fd, f[k], strlen(f[k]));
      continue;
    }
    pending++;
    if (pending < batch && r + 1 < records) continue;
    if (mode == WRITE_MODE) {
      size_t n = 0;
      for (int b = 0; b < pending; b++)
        for (int k = 0; k < FIELDS; k++) {
          size_t l = strlen(fields[b][k]);
          memcpy(buf + n, fields[b][k], l);
          n += l;
        }
      write_all(fd, buf, n);
    } else {
      int n = 0;
      size_t want = 0;
      for (int b = 0; b < pending; b++)
        for (int k = 0; k < FIELDS; k++) {
          iov[n].iov_base = fields[b][k];
          iov[n].iov_len = strlen(fields[b][k]);
          want += iov[n].iov_len;
          n++;
        }
      /* IOV_MAX is 1024: send in slices of whole records. */
      for (int at = 0; at < n; at += 1024) {
        int cnt = n - at < 1024 ? n - at : 1024;
        ssize_t w = writev(fd, iov + at, cnt);
        size_t slice = 0;
        for (int k = at; k < at + cnt; k++) slice += iov[k].iov_len;
        if (w < 0 || (size_t)w != slice) {
          perror("writev");
          return 1;
        }
      }
      (void)want;
    }
    pending = 0;
  }
  if (close(fd) != 0) {
    perror("close");
    return 1;
  }
  return 0;
}
