/* stuckd — sets up the proc-debugger lab's hung process. As root:
 *
 *   echo "KIND HOLDER UID" | stuckd      KIND: pipe, flock or child; HOLDER: indexer, uploader or mailer
 *
 * It starts three helper processes (indexer, uploader, mailer), each holding the write end of a
 * pipe of its own and an flock on /var/lib/reports/<name>.lock, and a `reportd` that blocks on
 * one of them, drawn per lab session and given on stdin (never on the command line, where `ps`
 * would show it):
 *   pipe   reportd reads its stdin, the read end of HOLDER's pipe; HOLDER never writes or closes it
 *   flock  reportd waits for an exclusive flock on HOLDER's lock file
 *   child  reportd started HOLDER itself and waits for it to exit
 * Everything but stuckd runs as UID. stuckd prints reportd's pid once it is blocked, then stays as
 * its root parent: when reportd ends it writes how (`exit N` or `signal N`) to the root-only
 * /run/kmap/reportd.status, which the grader reads, followed by whether what reportd waited for
 * had really come free at that moment (`released`, or `held: WHY`). reportd runs as the learner,
 * so a debugger can make its blocking call return without anything happening (strace -e
 * inject=read:retval=0); only the kernel's state, read here as root, says whether it was released:
 *   pipe   no process has the pipe open for writing any more (end of file), or something was
 *          written into it since it was made (its inode's mtime moved)
 *   flock  the lock file can be locked now (its holder let go)
 *   child  the child reportd started is gone Roles are chosen by argv[0]: stuckd re-executes
 * itself as reportd and as each helper; their configuration comes on fd 4, read and closed at once.
 */
#include "labkit.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define SELF "/opt/labs/proc-debugger/stuckd"
#define LOCK_DIR "/var/lib/reports"
#define STATUS_DIR "/run/kmap"
#define STATUS_FILE STATUS_DIR "/reportd.status"

static const char *helpers[3] = {"indexer", "uploader", "mailer"};

static void read_config(char *buf, size_t len) {
  ssize_t n = read(4, buf, len - 1);
  if (n <= 0) die("config");
  buf[n] = 0;
  close(4);
}

static void quiet_stdio(int keep_stdin) {
  int null = open("/dev/null", O_RDWR);
  if (null < 0) return;
  if (!keep_stdin) dup2(null, 0);
  dup2(null, 1);
  dup2(null, 2);
  if (null > 2) close(null);
}

/* A helper: take its flock, say so on fd 5, then hold everything forever. */
static int run_helper(void) {
  char cfg[300], lock[280];
  read_config(cfg, sizeof cfg);
  if (sscanf(cfg, "helper %279s", lock) != 1) die("helper config");
  int fd = open(lock, O_RDWR);
  if (fd < 0 || flock(fd, LOCK_EX) != 0) die(lock);
  if (fcntl(5, F_GETFD) != -1) {
    if (write(5, "1", 1) != 1) die("ready");
    close(5);
  }
  for (;;) pause();
  return 0;
}

/* Writes cfg into a new pipe that becomes fd 4 of the next exec. */
static void config_fd(const char *cfg) {
  int p[2];
  if (pipe(p) != 0) die("pipe");
  if (write(p[1], cfg, strlen(cfg)) != (ssize_t)strlen(cfg)) die("config write");
  close(p[1]);
  if (p[0] != 4) {
    dup2(p[0], 4);
    close(p[0]);
  }
}

/* reportd: block on what it was told to, then finish its "report". */
static int run_reportd(void) {
  char cfg[300], kind[16], holder[32], lock[200];
  read_config(cfg, sizeof cfg);
  if (sscanf(cfg, "reportd %15s %31s %199s", kind, holder, lock) != 3) die("reportd config");
  if (!strcmp(kind, "pipe")) {
    char buf[256];
    ssize_t n;
    do n = read(0, buf, sizeof buf);
    while (n < 0 && errno == EINTR);
    return n < 0 ? 1 : 0; /* data or end of file: either way the input it waited for arrived */
  }
  if (!strcmp(kind, "flock")) {
    int fd = open(lock, O_RDWR);
    if (fd < 0) die(lock);
    while (flock(fd, LOCK_EX) != 0)
      if (errno != EINTR) die("flock");
    return 0;
  }
  if (!strcmp(kind, "child")) {
    pid_t c = fork();
    if (c < 0) die("fork");
    if (c == 0) {
      char hcfg[300];
      snprintf(hcfg, sizeof hcfg, "helper %s\n", lock);
      config_fd(hcfg);
      execl(SELF, holder, (char *)NULL);
      die("exec helper");
    }
    close(3);
    int st;
    while (waitpid(c, &st, 0) < 0)
      if (errno != EINTR) die("waitpid");
    return 0;
  }
  return 2;
}

/* Puts `to0`, `to3` and `to5` (or -1) at fds 0, 3 and 5 and closes every other fd above 2 — via
   high numbers first, so one move never clobbers another. */
static void arrange_fds(int to0, int to3, int to5) {
  int a = to0 >= 0 ? fcntl(to0, F_DUPFD, 100) : -1;
  int b = to3 >= 0 ? fcntl(to3, F_DUPFD, 100) : -1;
  int c = to5 >= 0 ? fcntl(to5, F_DUPFD, 100) : -1;
  for (int fd = 3; fd < 100; fd++) close(fd);
  if (a >= 0) dup2(a, 0), close(a);
  if (b >= 0) dup2(b, 3), close(b);
  if (c >= 0) dup2(c, 5), close(c);
}

static void drop_to(int uid) {
  if (setgroups(0, NULL) != 0 || setgid(uid) != 0 || setuid(uid) != 0) die("setuid");
}

/* The pipe's write ends still open anywhere: scans every /proc/PID/fd as root. On a hit, `st` is the pipe's inode. */
static int pipe_writers(unsigned long ino, struct stat *st) {
  char want[48], path[600], link[64];
  snprintf(want, sizeof want, "pipe:[%lu]", ino);
  DIR *procs = opendir("/proc");
  if (!procs) return -1;
  int found = 0;
  struct dirent *p;
  while ((p = readdir(procs))) {
    if (p->d_name[0] < '0' || p->d_name[0] > '9') continue;
    snprintf(path, sizeof path, "/proc/%s/fd", p->d_name);
    DIR *fds = opendir(path);
    if (!fds) continue;
    struct dirent *f;
    while ((f = readdir(fds))) {
      if (f->d_name[0] == '.') continue;
      snprintf(path, sizeof path, "/proc/%s/fd/%s", p->d_name, f->d_name);
      ssize_t n = readlink(path, link, sizeof link - 1);
      if (n <= 0) continue;
      link[n] = 0;
      if (strcmp(link, want) != 0) continue;
      snprintf(path, sizeof path, "/proc/%s/fdinfo/%s", p->d_name, f->d_name);
      FILE *info = fopen(path, "r");
      unsigned flags = 0;
      char line[128];
      while (info && fgets(line, sizeof line, info))
        if (sscanf(line, "flags: %o", &flags) == 1) break;
      if (info) fclose(info);
      if ((flags & O_ACCMODE) == O_RDONLY) continue; /* a reader does not keep end of file away */
      snprintf(path, sizeof path, "/proc/%s/fd/%s", p->d_name, f->d_name);
      if (found == 0 && stat(path, st) != 0) continue;
      found++;
    }
    closedir(fds);
  }
  closedir(procs);
  return found;
}

/* Whether process `pid` is alive (not gone, not a zombie) and named `comm`. */
static int alive_as(pid_t pid, const char *comm) {
  char path[64], buf[512];
  snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
  FILE *f = fopen(path, "r");
  if (!f) return 0;
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  buf[n] = 0;
  char *open = strchr(buf, '('), *close = strrchr(buf, ')');
  if (!open || !close || close[1] != ' ') return 0;
  *close = 0;
  return strcmp(open + 1, comm) == 0 && close[2] != 'Z' && close[2] != 'X';
}

/* The child reportd started (kind child), found by its parent pid; 0 if none yet. */
static pid_t child_of(pid_t parent) {
  DIR *procs = opendir("/proc");
  if (!procs) return 0;
  pid_t found = 0;
  struct dirent *p;
  char path[600], buf[512];
  while (!found && (p = readdir(procs))) {
    if (p->d_name[0] < '0' || p->d_name[0] > '9') continue;
    snprintf(path, sizeof path, "/proc/%s/stat", p->d_name);
    FILE *f = fopen(path, "r");
    if (!f) continue;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    char *close = strrchr(buf, ')');
    char state;
    int ppid;
    if (close && sscanf(close + 1, " %c %d", &state, &ppid) == 2 && ppid == parent) found = atoi(p->d_name);
  }
  closedir(procs);
  return found;
}

static int wchan_is_set(pid_t pid) {
  char path[64], buf[64] = {0};
  snprintf(path, sizeof path, "/proc/%d/wchan", (int)pid);
  int fd = open(path, O_RDONLY);
  if (fd < 0) return 0;
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  return n > 0 && strcmp(buf, "0") != 0;
}

int main(int argc, char **argv) {
  const char *role = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
  /* comm (what top and /proc/PID/comm show) is the file's name; give each role its own. */
  if (!strcmp(role, "reportd")) return prctl(PR_SET_NAME, "reportd"), run_reportd();
  for (int i = 0; i < 3; i++)
    if (!strcmp(role, helpers[i])) return prctl(PR_SET_NAME, helpers[i]), run_helper();
  if (argc != 1) {
    fprintf(stderr, "usage: echo 'KIND HOLDER UID' | stuckd   (KIND: pipe, flock, child)\n");
    return 2;
  }
  char kind[16], holder[32];
  int uid, h = -1;
  if (scanf("%15s %31s %d", kind, holder, &uid) != 3) {
    fprintf(stderr, "stuckd: expected 'KIND HOLDER UID' on stdin\n");
    return 2;
  }
  for (int i = 0; i < 3; i++)
    if (!strcmp(holder, helpers[i])) h = i;
  if (h < 0 || (strcmp(kind, "pipe") && strcmp(kind, "flock") && strcmp(kind, "child"))) {
    fprintf(stderr, "stuckd: unknown kind %s or holder %s\n", kind, holder);
    return 2;
  }
  int ready[2];
  if (pipe(ready) != 0) die("pipe");
  pid_t sup = fork();
  if (sup < 0) die("fork");
  if (sup > 0) {
    close(ready[1]);
    char line[32] = {0};
    if (read(ready[0], line, sizeof line - 1) <= 0) {
      fprintf(stderr, "stuckd: reportd did not block\n");
      return 1;
    }
    fputs(line, stdout);
    return 0;
  }
  /* The supervisor. */
  close(ready[0]);
  setsid();
  signal(SIGPIPE, SIG_IGN);
  if (mkdir("/var/lib", 0755) != 0 && errno != EEXIST) die("/var/lib");
  if (mkdir(LOCK_DIR, 0755) != 0 && errno != EEXIST) die(LOCK_DIR);
  if (chown(LOCK_DIR, uid, uid) != 0) die("chown");
  if (mkdir(STATUS_DIR, 0700) != 0 && errno != EEXIST) die(STATUS_DIR);
  unlink(STATUS_FILE);
  char lock[3][200];
  int pipes[3][2];
  for (int i = 0; i < 3; i++) {
    snprintf(lock[i], sizeof lock[i], "%s/%s.lock", LOCK_DIR, helpers[i]);
    int fd = open(lock[i], O_RDWR | O_CREAT, 0644);
    if (fd < 0 || fchown(fd, uid, uid) != 0) die(lock[i]);
    close(fd);
    /* The learner's, like everything else here: its write end may also be opened through the
       holder's /proc/PID/fd/3 (a pipe made by root would refuse them). */
    if (pipe(pipes[i]) != 0 || fchown(pipes[i][0], uid, uid) != 0) die("pipe");
  }
  int started[2];
  if (pipe(started) != 0) die("pipe");
  quiet_stdio(0); /* nothing of ours may keep the caller's output pipes open */
  int spawned = 0;
  for (int i = 0; i < 3; i++) {
    if (i == h && !strcmp(kind, "child")) continue; /* reportd starts this one itself */
    pid_t p = fork();
    if (p < 0) die("fork");
    if (p == 0) {
      drop_to(uid);
      arrange_fds(-1, pipes[i][1], started[1]);
      char cfg[300];
      snprintf(cfg, sizeof cfg, "helper %s\n", lock[i]);
      config_fd(cfg);
      if (chdir("/") != 0) die("chdir");
      execl(SELF, helpers[i], (char *)NULL);
      die("exec helper");
    }
    spawned++;
  }
  close(started[1]);
  for (int i = 0; i < spawned; i++) {
    char c;
    if (read(started[0], &c, 1) != 1) die("helper did not start");
  }
  close(started[0]);
  pid_t rep = fork();
  if (rep < 0) die("fork");
  if (rep == 0) {
    drop_to(uid);
    arrange_fds(!strcmp(kind, "pipe") ? pipes[h][0] : -1, !strcmp(kind, "child") ? pipes[h][1] : -1, -1);
    char cfg[300];
    snprintf(cfg, sizeof cfg, "reportd %s %s %s\n", kind, helpers[h], lock[h]);
    config_fd(cfg);
    if (chdir("/") != 0) die("chdir");
    execl(SELF, "reportd", (char *)NULL);
    die("exec reportd");
  }
  struct stat made; /* the drawn pipe as it was made: its inode number and mtime */
  if (fstat(pipes[h][0], &made) != 0) die("fstat pipe");
  for (int j = 0; j < 3; j++) close(pipes[j][0]), close(pipes[j][1]);
  /* Ready once reportd sleeps in the kernel (its wchan is set), at most 10 s. */
  for (int i = 0; i < 1000 && !wchan_is_set(rep); i++) usleep(10000);
  usleep(50000);
  pid_t child = !strcmp(kind, "child") ? child_of(rep) : 0;
  char line[32];
  snprintf(line, sizeof line, "%d\n", (int)rep);
  if (write(ready[1], line, strlen(line)) < 0) die("ready");
  close(ready[1]);
  int st;
  while (waitpid(rep, &st, 0) < 0)
    if (errno != EINTR) die("waitpid");
  /* At once, before anything can change: was what reportd waited for really free? */
  char held[160] = "";
  if (!strcmp(kind, "pipe")) {
    struct stat now;
    int writers = pipe_writers((unsigned long)made.st_ino, &now);
    int written = writers > 0 && (now.st_mtim.tv_sec != made.st_mtim.tv_sec || now.st_mtim.tv_nsec != made.st_mtim.tv_nsec);
    if (writers > 0 && !written)
      snprintf(held, sizeof held, "%d process(es) still had the pipe open for writing and nothing was written into it", writers);
  } else if (!strcmp(kind, "flock")) {
    int fd = open(lock[h], O_RDONLY);
    if (fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) != 0 && errno == EWOULDBLOCK)
      snprintf(held, sizeof held, "%s was still locked by another process", lock[h]);
    if (fd >= 0) close(fd);
  } else if (child > 0 && alive_as(child, helpers[h])) {
    snprintf(held, sizeof held, "its child %s (pid %d) was still running", helpers[h], (int)child);
  }
  char out[240];
  const char *how = held[0] ? "held: " : "released";
  if (WIFEXITED(st)) snprintf(out, sizeof out, "exit %d %s%s\n", WEXITSTATUS(st), how, held);
  else snprintf(out, sizeof out, "signal %d %s%s\n", WIFSIGNALED(st) ? WTERMSIG(st) : 0, how, held);
  int fd = open(STATUS_FILE ".tmp", O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (fd >= 0) {
    if (write(fd, out, strlen(out)) < 0) die("status");
    close(fd);
    rename(STATUS_FILE ".tmp", STATUS_FILE);
  }
  return 0;
}
