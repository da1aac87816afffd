/*
 * kmap-agent — the grader channel inside a lab VM.
 *
 * Why a custom agent: the grader must gather its own evidence (run perf, read /proc) as root
 * while the learner works as an unprivileged user on the serial console. QEMU's guest agent
 * needs glib and cannot run argv as another user with an output cap; this is ~700 lines of C,
 * linked statically so it runs from the initramfs on both arches.
 *
 * Transport: the virtio-serial port named PORT_NAME (found under /sys/class/virtio-ports),
 * owned by root with mode 0600, so the lab user gets EACCES and, while we hold it open, even
 * root gets EBUSY. One JSON object per line in each direction:
 *
 *   {"id":"7","op":"exec","argv":["cat","/proc/loadavg"],"timeoutMs":5000,
 *    "cwd":"/tmp","user":"student","stdin":"…","maxOutput":65536}
 *   → {"id":"7","exit":0,"signal":0,"timedOut":false,"stdout":"…","stderr":"",
 *      "stdoutTruncated":false,"stderrTruncated":false,"durationMs":3}
 *   {"id":"8","op":"ping"}                        → {"id":"8","ok":true}
 *   {"id":"9","op":"sync","sec":…,"nsec":…,"seed":"<hex>"}  → {"id":"9","ok":true}
 *   anything malformed                            → {"id":…,"error":"…"}
 *
 * Commands run by fork + execvpe of the argv array; never through a shell unless argv itself
 * names one. Each runs in its own session and process group, so a timeout kills the group.
 * Several requests may be in flight: one poll loop serves the port and every job's pipes.
 *
 * Invariants: a reply is one line; stdout/stderr are capped at maxOutput bytes each (the rest is
 * drained and counted as truncated); a job is answered exactly once.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/random.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PORT_NAME "org.kernelmap.agent"
#define MAX_LINE (4 * 1024 * 1024)
#define MAX_JOBS 32
#define MAX_ARGS 256
#define DEFAULT_MAX_OUTPUT (64 * 1024)
#define HARD_MAX_OUTPUT (4 * 1024 * 1024)
#define DEFAULT_TIMEOUT_MS 30000
#define DRAIN_GRACE_MS 200
#define LAB_EXEC_CGROUP "/sys/fs/cgroup/lab/exec/cgroup.procs"

static int port_fd = -1;

static int64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---------- growable byte buffer ---------- */
typedef struct {
  char *p;
  size_t len, cap;
} buf_t;

static void buf_reserve(buf_t *b, size_t extra) {
  if (b->len + extra <= b->cap) return;
  size_t cap = b->cap ? b->cap : 256;
  while (cap < b->len + extra) cap *= 2;
  char *p = realloc(b->p, cap);
  if (!p) abort();
  b->p = p;
  b->cap = cap;
}
static void buf_put(buf_t *b, const void *s, size_t n) {
  buf_reserve(b, n);
  memcpy(b->p + b->len, s, n);
  b->len += n;
}
static void buf_puts(buf_t *b, const char *s) { buf_put(b, s, strlen(s)); }
static void buf_printf(buf_t *b, const char *fmt, ...) {
  char tmp[256];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
  va_end(ap);
  if (n > 0) buf_put(b, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}
static void buf_free(buf_t *b) {
  free(b->p);
  b->p = NULL;
  b->len = b->cap = 0;
}

/* JSON string literal; bytes >= 0x80 pass through (the host decodes UTF-8 leniently). */
static void buf_json_str(buf_t *b, const char *s, size_t n) {
  static const char hex[] = "0123456789abcdef";
  buf_reserve(b, n + 2);
  buf_put(b, "\"", 1);
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c == '"') buf_put(b, "\\\"", 2);
    else if (c == '\\') buf_put(b, "\\\\", 2);
    else if (c == '\n') buf_put(b, "\\n", 2);
    else if (c == '\r') buf_put(b, "\\r", 2);
    else if (c == '\t') buf_put(b, "\\t", 2);
    else if (c < 0x20 || c == 0x7f) {
      char e[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
      buf_put(b, e, 6);
    } else buf_put(b, &s[i], 1);
  }
  buf_put(b, "\"", 1);
}

/* ---------- minimal JSON reader for one flat request object ---------- */
typedef struct {
  const char *s;
  size_t i, n;
  const char *err;
} jr_t;

static void jr_ws(jr_t *r) {
  while (r->i < r->n && (r->s[r->i] == ' ' || r->s[r->i] == '\t' || r->s[r->i] == '\r' || r->s[r->i] == '\n')) r->i++;
}
static int jr_fail(jr_t *r, const char *msg) {
  if (!r->err) r->err = msg;
  return -1;
}
static int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
static void put_utf8(buf_t *b, uint32_t cp) {
  char o[4];
  if (cp < 0x80) {
    o[0] = (char)cp;
    buf_put(b, o, 1);
  } else if (cp < 0x800) {
    o[0] = (char)(0xc0 | (cp >> 6));
    o[1] = (char)(0x80 | (cp & 0x3f));
    buf_put(b, o, 2);
  } else if (cp < 0x10000) {
    o[0] = (char)(0xe0 | (cp >> 12));
    o[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
    o[2] = (char)(0x80 | (cp & 0x3f));
    buf_put(b, o, 3);
  } else {
    o[0] = (char)(0xf0 | (cp >> 18));
    o[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
    o[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
    o[3] = (char)(0x80 | (cp & 0x3f));
    buf_put(b, o, 4);
  }
}
static int jr_hex4(jr_t *r, uint32_t *out) {
  if (r->i + 4 > r->n) return jr_fail(r, "bad \\u escape");
  uint32_t v = 0;
  for (int k = 0; k < 4; k++) {
    int h = hexval(r->s[r->i + k]);
    if (h < 0) return jr_fail(r, "bad \\u escape");
    v = v * 16 + (uint32_t)h;
  }
  r->i += 4;
  *out = v;
  return 0;
}
/* Decodes a string into out (NUL-terminated; out->len excludes the NUL). */
static int jr_string(jr_t *r, buf_t *out) {
  jr_ws(r);
  if (r->i >= r->n || r->s[r->i] != '"') return jr_fail(r, "expected string");
  r->i++;
  out->len = 0;
  while (r->i < r->n) {
    char c = r->s[r->i++];
    if (c == '"') {
      buf_reserve(out, 1);
      out->p[out->len] = 0;
      return 0;
    }
    if ((unsigned char)c < 0x20) return jr_fail(r, "control character in string");
    if (c != '\\') {
      buf_put(out, &c, 1);
      continue;
    }
    if (r->i >= r->n) break;
    char e = r->s[r->i++];
    switch (e) {
      case '"': buf_put(out, "\"", 1); break;
      case '\\': buf_put(out, "\\", 1); break;
      case '/': buf_put(out, "/", 1); break;
      case 'b': buf_put(out, "\b", 1); break;
      case 'f': buf_put(out, "\f", 1); break;
      case 'n': buf_put(out, "\n", 1); break;
      case 'r': buf_put(out, "\r", 1); break;
      case 't': buf_put(out, "\t", 1); break;
      case 'u': {
        uint32_t cp;
        if (jr_hex4(r, &cp)) return -1;
        if (cp >= 0xd800 && cp < 0xdc00 && r->i + 1 < r->n && r->s[r->i] == '\\' && r->s[r->i + 1] == 'u') {
          uint32_t lo;
          r->i += 2;
          if (jr_hex4(r, &lo)) return -1;
          if (lo >= 0xdc00 && lo < 0xe000) cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
          else cp = 0xfffd;
        } else if (cp >= 0xd800 && cp < 0xe000) cp = 0xfffd;
        put_utf8(out, cp);
        break;
      }
      default: return jr_fail(r, "bad escape");
    }
  }
  return jr_fail(r, "unterminated string");
}
static int jr_number(jr_t *r, double *out) {
  jr_ws(r);
  size_t start = r->i;
  while (r->i < r->n && strchr("+-0123456789.eE", r->s[r->i])) r->i++;
  if (start == r->i) return jr_fail(r, "expected number");
  char tmp[64];
  size_t len = r->i - start;
  if (len >= sizeof tmp) return jr_fail(r, "number too long");
  memcpy(tmp, r->s + start, len);
  tmp[len] = 0;
  char *end;
  *out = strtod(tmp, &end);
  if (*end) return jr_fail(r, "bad number");
  return 0;
}
static int jr_skip(jr_t *r, int depth);
static int jr_skip(jr_t *r, int depth) {
  if (depth > 16) return jr_fail(r, "too deep");
  jr_ws(r);
  if (r->i >= r->n) return jr_fail(r, "unexpected end");
  char c = r->s[r->i];
  if (c == '"') {
    buf_t t = {0};
    int rc = jr_string(r, &t);
    buf_free(&t);
    return rc;
  }
  if (c == '{' || c == '[') {
    char close = c == '{' ? '}' : ']';
    r->i++;
    jr_ws(r);
    if (r->i < r->n && r->s[r->i] == close) {
      r->i++;
      return 0;
    }
    for (;;) {
      if (c == '{') {
        buf_t t = {0};
        int rc = jr_string(r, &t);
        buf_free(&t);
        if (rc) return -1;
        jr_ws(r);
        if (r->i >= r->n || r->s[r->i] != ':') return jr_fail(r, "expected :");
        r->i++;
      }
      if (jr_skip(r, depth + 1)) return -1;
      jr_ws(r);
      if (r->i < r->n && r->s[r->i] == ',') {
        r->i++;
        continue;
      }
      if (r->i < r->n && r->s[r->i] == close) {
        r->i++;
        return 0;
      }
      return jr_fail(r, "expected , or close");
    }
  }
  if (!strncmp(r->s + r->i, "true", 4) && r->i + 4 <= r->n) { r->i += 4; return 0; }
  if (!strncmp(r->s + r->i, "false", 5) && r->i + 5 <= r->n) { r->i += 5; return 0; }
  if (!strncmp(r->s + r->i, "null", 4) && r->i + 4 <= r->n) { r->i += 4; return 0; }
  double d;
  return jr_number(r, &d);
}

typedef struct {
  char id[80]; /* the raw JSON text of the id, echoed back verbatim */
  char op[16];
  char *argv[MAX_ARGS + 1];
  int argc;
  double timeout_ms, max_output, sec, nsec;
  int has_sec;
  buf_t cwd, user, stdin_data, seed;
  int has_cwd, has_user, has_stdin;
} request_t;

static void req_free(request_t *q) {
  for (int k = 0; k < q->argc; k++) free(q->argv[k]);
  buf_free(&q->cwd);
  buf_free(&q->user);
  buf_free(&q->stdin_data);
  buf_free(&q->seed);
}

static int parse_request(const char *line, size_t n, request_t *q, const char **err) {
  memset(q, 0, sizeof *q);
  strcpy(q->id, "null");
  q->timeout_ms = DEFAULT_TIMEOUT_MS;
  q->max_output = DEFAULT_MAX_OUTPUT;
  jr_t r = {line, 0, n, NULL};
  jr_ws(&r);
  if (r.i >= r.n || line[r.i] != '{') {
    *err = "request must be a JSON object";
    return -1;
  }
  r.i++;
  jr_ws(&r);
  if (r.i < r.n && line[r.i] == '}') r.i++;
  else
    for (;;) {
      buf_t key = {0};
      if (jr_string(&r, &key)) break;
      jr_ws(&r);
      if (r.i >= r.n || line[r.i] != ':') {
        jr_fail(&r, "expected :");
        buf_free(&key);
        break;
      }
      r.i++;
      jr_ws(&r);
      const char *k = key.p ? key.p : "";
      if (!strcmp(k, "id")) {
        size_t start = r.i;
        if (jr_skip(&r, 0) == 0) {
          size_t len = r.i - start;
          if (len >= sizeof q->id || (line[start] != '"' && (line[start] < '0' || line[start] > '9'))) jr_fail(&r, "id must be a short string or number");
          else {
            memcpy(q->id, line + start, len);
            q->id[len] = 0;
          }
        }
      } else if (!strcmp(k, "op")) {
        buf_t v = {0};
        if (!jr_string(&r, &v)) {
          if (v.len >= sizeof q->op) jr_fail(&r, "unknown op");
          else strcpy(q->op, v.p);
        }
        buf_free(&v);
      } else if (!strcmp(k, "argv")) {
        if (line[r.i] != '[') jr_fail(&r, "argv must be an array");
        else {
          r.i++;
          jr_ws(&r);
          if (r.i < r.n && line[r.i] == ']') r.i++;
          else
            for (;;) {
              buf_t v = {0};
              if (jr_string(&r, &v)) { buf_free(&v); break; }
              if (q->argc >= MAX_ARGS) { buf_free(&v); jr_fail(&r, "too many arguments"); break; }
              if (strlen(v.p) != v.len) { buf_free(&v); jr_fail(&r, "NUL in argument"); break; }
              q->argv[q->argc++] = v.p; /* ownership moves to argv */
              jr_ws(&r);
              if (r.i < r.n && line[r.i] == ',') { r.i++; continue; }
              if (r.i < r.n && line[r.i] == ']') { r.i++; break; }
              jr_fail(&r, "expected , or ]");
              break;
            }
        }
      } else if (!strcmp(k, "timeoutMs")) jr_number(&r, &q->timeout_ms);
      else if (!strcmp(k, "maxOutput")) jr_number(&r, &q->max_output);
      else if (!strcmp(k, "sec")) { jr_number(&r, &q->sec); q->has_sec = 1; }
      else if (!strcmp(k, "nsec")) jr_number(&r, &q->nsec);
      else if (!strcmp(k, "cwd")) q->has_cwd = !jr_string(&r, &q->cwd);
      else if (!strcmp(k, "user")) q->has_user = !jr_string(&r, &q->user);
      else if (!strcmp(k, "stdin")) q->has_stdin = !jr_string(&r, &q->stdin_data);
      else if (!strcmp(k, "seed")) jr_string(&r, &q->seed);
      else jr_skip(&r, 0);
      buf_free(&key);
      if (r.err) break;
      jr_ws(&r);
      if (r.i < r.n && line[r.i] == ',') { r.i++; jr_ws(&r); continue; }
      if (r.i < r.n && line[r.i] == '}') { r.i++; break; }
      jr_fail(&r, "expected , or }");
      break;
    }
  if (r.err) {
    *err = r.err;
    return -1;
  }
  if (!q->op[0]) {
    *err = "missing op";
    return -1;
  }
  return 0;
}

/* ---------- replies ---------- */
static void write_port(const char *p, size_t n) {
  int64_t deadline = now_ms() + 5000;
  while (n > 0) {
    ssize_t w = write(port_fd, p, n);
    if (w > 0) {
      p += w;
      n -= (size_t)w;
      continue;
    }
    if (w < 0 && errno == EINTR) continue;
    if (now_ms() > deadline) return; /* host is not reading: drop rather than wedge the agent */
    struct pollfd pf = {port_fd, POLLOUT, 0};
    poll(&pf, 1, 50);
  }
}
static void reply_error(const char *id, const char *msg) {
  buf_t b = {0};
  buf_printf(&b, "{\"id\":%s,\"error\":", id);
  buf_json_str(&b, msg, strlen(msg));
  buf_puts(&b, "}\n");
  write_port(b.p, b.len);
  buf_free(&b);
}
static void reply_ok(const char *id) {
  buf_t b = {0};
  buf_printf(&b, "{\"id\":%s,\"ok\":true}\n", id);
  write_port(b.p, b.len);
  buf_free(&b);
}

/* ---------- users ---------- */
typedef struct {
  uid_t uid;
  gid_t gid;
  char home[256];
  gid_t groups[32];
  int ngroups;
} account_t;

/* Reads /etc/passwd and /etc/group directly: a static binary cannot load NSS modules. */
static int lookup_account(const char *name, account_t *a) {
  FILE *f = fopen("/etc/passwd", "r");
  if (!f) return -1;
  char line[512];
  int found = 0;
  while (fgets(line, sizeof line, f)) {
    char *save, *fields[7] = {0};
    int k = 0;
    for (char *t = strtok_r(line, ":\n", &save); t && k < 7; t = strtok_r(NULL, ":\n", &save)) fields[k++] = t;
    if (k >= 6 && !strcmp(fields[0], name)) {
      a->uid = (uid_t)atoi(fields[2]);
      a->gid = (gid_t)atoi(fields[3]);
      snprintf(a->home, sizeof a->home, "%s", fields[5]);
      found = 1;
      break;
    }
  }
  fclose(f);
  if (!found) return -1;
  a->ngroups = 0;
  a->groups[a->ngroups++] = a->gid;
  f = fopen("/etc/group", "r");
  if (f) {
    while (fgets(line, sizeof line, f)) {
      char *nl = strchr(line, '\n');
      if (nl) *nl = 0;
      char *gname = strtok(line, ":");
      strtok(NULL, ":");
      char *gid = strtok(NULL, ":");
      char *members = strtok(NULL, ":");
      (void)gname;
      if (!gid || !members) continue;
      for (char *m = strtok(members, ","); m; m = strtok(NULL, ","))
        if (!strcmp(m, name) && a->ngroups < 32) a->groups[a->ngroups++] = (gid_t)atoi(gid);
    }
    fclose(f);
  }
  return 0;
}

/* ---------- jobs ---------- */
typedef struct {
  int used;
  char id[80];
  pid_t pid;
  int out_fd, err_fd;
  buf_t out, err;
  size_t cap;
  int out_trunc, err_trunc;
  int64_t started, deadline, drain_until;
  int timed_out, exited, status;
} job_t;

static job_t jobs[MAX_JOBS];

static void finish_job(job_t *j) {
  buf_t b = {0};
  int code = -1, sig = 0;
  if (WIFEXITED(j->status)) code = WEXITSTATUS(j->status);
  else if (WIFSIGNALED(j->status)) sig = WTERMSIG(j->status);
  buf_printf(&b, "{\"id\":%s,\"exit\":%d,\"signal\":%d,\"timedOut\":%s,\"durationMs\":%lld,\"stdoutTruncated\":%s,\"stderrTruncated\":%s,\"stdout\":", j->id,
             code, sig, j->timed_out ? "true" : "false", (long long)(now_ms() - j->started), j->out_trunc ? "true" : "false",
             j->err_trunc ? "true" : "false");
  buf_json_str(&b, j->out.p ? j->out.p : "", j->out.len);
  buf_puts(&b, ",\"stderr\":");
  buf_json_str(&b, j->err.p ? j->err.p : "", j->err.len);
  buf_puts(&b, "}\n");
  write_port(b.p, b.len);
  buf_free(&b);
  if (j->out_fd >= 0) close(j->out_fd);
  if (j->err_fd >= 0) close(j->err_fd);
  buf_free(&j->out);
  buf_free(&j->err);
  memset(j, 0, sizeof *j);
  j->out_fd = j->err_fd = -1;
}

static void child_fail(int errfd, const char *what) {
  char msg[300];
  int n = snprintf(msg, sizeof msg, "kmap-agent: %s: %s\n", what, strerror(errno));
  if (n > 0 && write(errfd, msg, (size_t)n) < 0) {}
  _exit(127);
}

static void start_job(request_t *q) {
  job_t *j = NULL;
  for (int k = 0; k < MAX_JOBS; k++)
    if (!jobs[k].used) {
      j = &jobs[k];
      break;
    }
  if (!j) return reply_error(q->id, "too many concurrent jobs");
  if (q->argc == 0) return reply_error(q->id, "argv must not be empty");
  account_t acct = {0, 0, "/root", {0}, 1};
  if (q->has_user && strcmp(q->user.p, "root") != 0 && lookup_account(q->user.p, &acct) != 0)
    return reply_error(q->id, "unknown user");
  int stdin_fd = -1;
  if (q->has_stdin && q->stdin_data.len > 0) {
    stdin_fd = memfd_create("stdin", MFD_CLOEXEC);
    if (stdin_fd < 0) return reply_error(q->id, "memfd_create failed");
    size_t off = 0;
    while (off < q->stdin_data.len) {
      ssize_t w = write(stdin_fd, q->stdin_data.p + off, q->stdin_data.len - off);
      if (w <= 0) break;
      off += (size_t)w;
    }
    lseek(stdin_fd, 0, SEEK_SET);
  }
  int po[2], pe[2];
  if (pipe2(po, O_CLOEXEC) || pipe2(pe, O_CLOEXEC)) {
    if (stdin_fd >= 0) close(stdin_fd);
    return reply_error(q->id, "pipe failed");
  }
  pid_t pid = fork();
  if (pid < 0) {
    close(po[0]); close(po[1]); close(pe[0]); close(pe[1]);
    if (stdin_fd >= 0) close(stdin_fd);
    return reply_error(q->id, "fork failed");
  }
  if (pid == 0) {
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    signal(SIGPIPE, SIG_DFL);
    setsid();
    int in = stdin_fd >= 0 ? stdin_fd : open("/dev/null", O_RDONLY);
    dup2(in, 0);
    dup2(po[1], 1);
    dup2(pe[1], 2);
    close_range(3, ~0U, 0);
    /* Processes run for the lab user share the lab's cgroup limits (pids, memory). */
    if (acct.uid != 0) {
      int cg = open(LAB_EXEC_CGROUP, O_WRONLY);
      if (cg >= 0) {
        if (write(cg, "0", 1) < 0) {}
        close(cg);
      }
    }
    /* The agent is shielded from the OOM killer; its children must not be. */
    int adj = open("/proc/self/oom_score_adj", O_WRONLY);
    if (adj >= 0) {
      if (write(adj, "0", 1) < 0) {}
      close(adj);
    }
    if (acct.uid != 0) {
      if (setgroups((size_t)acct.ngroups, acct.groups)) child_fail(2, "setgroups");
      if (setgid(acct.gid)) child_fail(2, "setgid");
      if (setuid(acct.uid)) child_fail(2, "setuid");
    }
    const char *dir = q->has_cwd ? q->cwd.p : acct.home;
    if (chdir(dir) != 0) {
      if (q->has_cwd) child_fail(2, "chdir");
      if (chdir("/")) {}
    }
    char home[300], user[300];
    snprintf(home, sizeof home, "HOME=%s", acct.home);
    snprintf(user, sizeof user, "USER=%s", q->has_user ? q->user.p : "root");
    char *envp[] = {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:/opt/labs/bin", home, user, "LANG=C", "TERM=dumb", NULL};
    /* execvpe searches the PATH of the caller's environment, not envp's. */
    setenv("PATH", envp[0] + 5, 1);
    execvpe(q->argv[0], q->argv, envp);
    child_fail(2, q->argv[0]);
  }
  close(po[1]);
  close(pe[1]);
  if (stdin_fd >= 0) close(stdin_fd);
  fcntl(po[0], F_SETFL, O_NONBLOCK);
  fcntl(pe[0], F_SETFL, O_NONBLOCK);
  memset(j, 0, sizeof *j);
  j->used = 1;
  strcpy(j->id, q->id);
  j->pid = pid;
  j->out_fd = po[0];
  j->err_fd = pe[0];
  double cap = q->max_output;
  if (!(cap >= 0)) cap = DEFAULT_MAX_OUTPUT;
  if (cap > HARD_MAX_OUTPUT) cap = HARD_MAX_OUTPUT;
  j->cap = (size_t)cap;
  j->started = now_ms();
  double t = q->timeout_ms;
  if (!(t > 0)) t = DEFAULT_TIMEOUT_MS;
  if (t > 24.0 * 3600 * 1000) t = 24.0 * 3600 * 1000;
  j->deadline = j->started + (int64_t)t;
}

static void read_pipe(job_t *j, int *fd, buf_t *b, int *trunc) {
  char tmp[16384];
  for (;;) {
    ssize_t n = read(*fd, tmp, sizeof tmp);
    if (n > 0) {
      size_t room = b->len < j->cap ? j->cap - b->len : 0;
      size_t take = (size_t)n < room ? (size_t)n : room;
      if (take) buf_put(b, tmp, take);
      if (take < (size_t)n) *trunc = 1;
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) return;
    close(*fd); /* EOF or error */
    *fd = -1;
    return;
  }
}

/* ---------- ops without a child ---------- */
static void do_sync(request_t *q) {
  if (q->has_sec) {
    struct timespec ts = {(time_t)q->sec, (long)q->nsec};
    if (clock_settime(CLOCK_REALTIME, &ts) != 0) return reply_error(q->id, "clock_settime failed");
  }
  if (q->seed.len) {
    size_t n = q->seed.len / 2;
    if (n > 512) n = 512;
    struct {
      struct rand_pool_info info;
      unsigned char bytes[512];
    } pool;
    for (size_t k = 0; k < n; k++) {
      int hi = hexval(q->seed.p[2 * k]), lo = hexval(q->seed.p[2 * k + 1]);
      if (hi < 0 || lo < 0) return reply_error(q->id, "seed must be hex");
      pool.bytes[k] = (unsigned char)(hi * 16 + lo);
    }
    int fd = open("/dev/urandom", O_WRONLY | O_CLOEXEC);
    if (fd < 0) return reply_error(q->id, "open /dev/urandom failed");
    if (write(fd, pool.bytes, n) < 0) {}
    pool.info.entropy_count = (int)(n * 8);
    pool.info.buf_size = (int)n;
    int rc = ioctl(fd, RNDADDENTROPY, &pool);
    /* Adding entropy does not by itself rekey the CRNG; every clone would keep the snapshot's
       keystream until the next scheduled reseed. Force it. */
    if (rc == 0) rc = ioctl(fd, RNDRESEEDCRNG);
    close(fd);
    if (rc != 0) return reply_error(q->id, "reseed failed");
  }
  reply_ok(q->id);
}

static void handle_line(const char *line, size_t n) {
  request_t q;
  const char *err = NULL;
  if (parse_request(line, n, &q, &err) != 0) {
    reply_error(q.id, err ? err : "bad request");
  } else if (!strcmp(q.op, "ping")) {
    reply_ok(q.id);
  } else if (!strcmp(q.op, "sync")) {
    do_sync(&q);
  } else if (!strcmp(q.op, "exec")) {
    start_job(&q);
  } else {
    reply_error(q.id, "unknown op");
  }
  req_free(&q);
}

/* ---------- port discovery ---------- */
static int open_port(void) {
  for (int attempt = 0; attempt < 600; attempt++) {
    DIR *d = opendir("/sys/class/virtio-ports");
    struct dirent *e;
    while (d && (e = readdir(d))) {
      if (e->d_name[0] == '.') continue;
      char path[512], name[128] = {0};
      snprintf(path, sizeof path, "/sys/class/virtio-ports/%s/name", e->d_name);
      int fd = open(path, O_RDONLY);
      if (fd < 0) continue;
      ssize_t n = read(fd, name, sizeof name - 1);
      close(fd);
      if (n > 0 && name[n - 1] == '\n') name[n - 1] = 0;
      if (strcmp(name, PORT_NAME) != 0) continue;
      snprintf(path, sizeof path, "/dev/%s", e->d_name);
      closedir(d);
      if (chown(path, 0, 0) || chmod(path, 0600)) {}
      int p = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
      if (p >= 0) return p;
      d = NULL;
      break;
    }
    if (d) closedir(d);
    usleep(50 * 1000);
  }
  return -1;
}

int main(void) {
  signal(SIGPIPE, SIG_IGN);
  int adj = open("/proc/self/oom_score_adj", O_WRONLY);
  if (adj >= 0) {
    if (write(adj, "-1000", 5) < 0) {}
    close(adj);
  }
  for (int k = 0; k < MAX_JOBS; k++) jobs[k].out_fd = jobs[k].err_fd = -1;
  port_fd = open_port();
  if (port_fd < 0) {
    fprintf(stderr, "kmap-agent: port %s not found\n", PORT_NAME);
    return 1;
  }
  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGCHLD);
  sigprocmask(SIG_BLOCK, &mask, NULL);
  int sfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);

  buf_t in = {0};
  int discarding = 0;
  int64_t port_retry_at = 0;
  for (;;) {
    struct pollfd pfds[2 + 2 * MAX_JOBS];
    job_t *owner[2 + 2 * MAX_JOBS];
    int np = 0;
    int64_t now = now_ms();
    int port_idx = -1;
    if (now >= port_retry_at) {
      port_idx = np;
      pfds[np] = (struct pollfd){port_fd, POLLIN, 0};
      owner[np++] = NULL;
    }
    pfds[np] = (struct pollfd){sfd, POLLIN, 0};
    owner[np++] = NULL;
    int64_t wake = port_idx < 0 ? port_retry_at : now + 60000;
    for (int k = 0; k < MAX_JOBS; k++) {
      job_t *j = &jobs[k];
      if (!j->used) continue;
      if (j->out_fd >= 0) { pfds[np] = (struct pollfd){j->out_fd, POLLIN, 0}; owner[np++] = j; }
      if (j->err_fd >= 0) { pfds[np] = (struct pollfd){j->err_fd, POLLIN, 0}; owner[np++] = j; }
      if (!j->exited && !j->timed_out && j->deadline < wake) wake = j->deadline;
      if (j->exited && j->drain_until < wake) wake = j->drain_until;
    }
    int timeout = (int)(wake - now);
    if (timeout < 0) timeout = 0;
    int rc = poll(pfds, (nfds_t)np, timeout);
    if (rc < 0 && errno != EINTR) break;
    now = now_ms();

    for (int k = 0; k < np && rc > 0; k++) {
      if (!pfds[k].revents || !owner[k]) continue;
      job_t *j = owner[k];
      if (pfds[k].fd == j->out_fd) read_pipe(j, &j->out_fd, &j->out, &j->out_trunc);
      else if (pfds[k].fd == j->err_fd) read_pipe(j, &j->err_fd, &j->err, &j->err_trunc);
    }

    struct signalfd_siginfo si;
    while (read(sfd, &si, sizeof si) == sizeof si) {}
    for (;;) {
      int status;
      pid_t pid = waitpid(-1, &status, WNOHANG);
      if (pid <= 0) break;
      for (int k = 0; k < MAX_JOBS; k++)
        if (jobs[k].used && jobs[k].pid == pid && !jobs[k].exited) {
          jobs[k].exited = 1;
          jobs[k].status = status;
          jobs[k].drain_until = now + DRAIN_GRACE_MS;
        }
    }

    for (int k = 0; k < MAX_JOBS; k++) {
      job_t *j = &jobs[k];
      if (!j->used) continue;
      if (!j->exited && !j->timed_out && now >= j->deadline) {
        j->timed_out = 1;
        kill(-j->pid, SIGKILL);
        kill(j->pid, SIGKILL);
      }
      /* Answer once the child is gone and its pipes are drained (or a background grandchild
         kept them open past the grace period). */
      if (j->exited && ((j->out_fd < 0 && j->err_fd < 0) || now >= j->drain_until)) finish_job(j);
    }

    if (port_idx >= 0 && pfds[port_idx].revents) {
      char tmp[65536];
      ssize_t n = read(port_fd, tmp, sizeof tmp);
      if (n <= 0) {
        if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
          /* Host side not connected (POLLHUP / EOF): look again shortly. */
          port_retry_at = now + 20;
          in.len = 0;
          discarding = 0;
        }
        continue;
      }
      size_t start = 0;
      for (size_t i = 0; i < (size_t)n; i++) {
        if (tmp[i] != '\n') continue;
        if (!discarding) {
          buf_put(&in, tmp + start, i - start);
          if (in.len) handle_line(in.p, in.len);
        }
        in.len = 0;
        discarding = 0;
        start = i + 1;
      }
      if (!discarding && start < (size_t)n) {
        buf_put(&in, tmp + start, (size_t)n - start);
        if (in.len > MAX_LINE) {
          reply_error("null", "request line too long");
          in.len = 0;
          discarding = 1;
        }
      }
    }
  }
  return 1;
}
