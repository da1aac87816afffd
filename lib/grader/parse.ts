/**
 * Parsers for what graders read in the guest: perf, strace and /proc. Pure functions over text;
 * tested on real outputs captured from both guests (test/fixtures/grader/<arch>/, re-captured by
 * scripts/capture-grader-fixtures.ts). They return null/empty rather than guess when a line does
 * not have the expected shape, so a check can say "could not read X" instead of grading junk.
 */

const num = (s: string): number => Number(s.replaceAll(',', ''));

/* ------------------------------------------------------------------ perf stat */

export interface PerfStatCounter {
  event: string;
  /** null when perf printed <not supported> or <not counted>. */
  value: number | null;
  unit: string;
}

export interface PerfStat {
  counters: PerfStatCounter[];
  /** "N seconds time elapsed" (human output only). */
  elapsedSeconds: number | null;
}

/**
 * `perf stat` output, human (`  328.49 msec task-clock  # …`) or CSV (`perf stat -x,`:
 * value,unit,event,run-time,percent,metric,metric-unit). Lines that are neither are ignored.
 */
export function parsePerfStat(text: string): PerfStat {
  const counters: PerfStatCounter[] = [];
  let elapsedSeconds: number | null = null;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line) continue;
    const elapsed = /^([\d.]+) seconds time elapsed/.exec(line);
    if (elapsed?.[1]) {
      elapsedSeconds = Number(elapsed[1]);
      continue;
    }
    if (/^[\d.]+ seconds (user|sys)$/.test(line)) continue;
    const csv = line.split(',');
    if (csv.length >= 3 && /^([\d.]+|<not supported>|<not counted>)$/.test(csv[0] ?? '') && /^[\w:.\-/=]+$/.test(csv[2] ?? '')) {
      const v = csv[0] ?? '';
      counters.push({ event: csv[2] ?? '', value: v.startsWith('<') ? null : Number(v), unit: csv[1] ?? '' });
      continue;
    }
    const human = /^([\d,.]+|<not supported>|<not counted>)\s+(?:(msec|usec|nsec|sec)\s+)?([\w:.\-/=]+)(?:\s|$)/.exec(line);
    if (human?.[1] && human[3]) {
      counters.push({ event: human[3], value: human[1].startsWith('<') ? null : num(human[1]), unit: human[2] ?? '' });
    }
  }
  return { counters, elapsedSeconds };
}

/** The value of one event (exact name), or null when absent or not supported. */
export function perfCounter(stat: PerfStat, event: string): number | null {
  return stat.counters.find((c) => c.event === event)?.value ?? null;
}

/* ------------------------------------------------------------------ perf trace -s */

export interface SyscallStat {
  syscall: string;
  calls: number;
  errors: number;
  /** Total time in the syscall, milliseconds (perf trace) or seconds×1000 (strace -c). */
  totalMs: number;
}

export interface PerfTraceThread {
  comm: string;
  pid: number;
  events: number;
  syscalls: SyscallStat[];
}

/**
 * `perf trace -s`: a "Summary of events" with one block per thread
 * (` counterd (141), 82 events, 45.1%`) followed by its syscall table.
 */
export function parsePerfTraceSummary(text: string): PerfTraceThread[] {
  const threads: PerfTraceThread[] = [];
  let current: PerfTraceThread | null = null;
  for (const line of text.split('\n')) {
    const head = /^\s*(\S.*?) \((\d+)\), (\d+) events/.exec(line);
    if (head?.[1] && head[2] && head[3]) {
      current = { comm: head[1], pid: Number(head[2]), events: Number(head[3]), syscalls: [] };
      threads.push(current);
      continue;
    }
    const row = /^\s+([a-z_][a-z0-9_]*)\s+(\d+)\s+(\d+)\s+([\d.]+)\s+[\d.]+\s+[\d.]+\s+[\d.]+/.exec(line);
    if (current && row?.[1] && row[2] && row[3] && row[4] && row[1] !== 'syscall') {
      current.syscalls.push({ syscall: row[1], calls: Number(row[2]), errors: Number(row[3]), totalMs: Number(row[4]) });
    }
  }
  return threads;
}

/** Calls per syscall summed over the threads of a perf trace -s summary. */
export function sumSyscalls(threads: readonly { syscalls: readonly SyscallStat[] }[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const t of threads) for (const s of t.syscalls) out.set(s.syscall, (out.get(s.syscall) ?? 0) + s.calls);
  return out;
}

/* ------------------------------------------------------------------ strace */

/**
 * `strace -c` (with or without -f): the table's rows and its total. The errors column is blank
 * when a syscall never failed, so rows have 5 or 6 fields.
 */
export function parseStraceSummary(text: string): { syscalls: SyscallStat[]; totalCalls: number | null } {
  const syscalls: SyscallStat[] = [];
  let totalCalls: number | null = null;
  for (const line of text.split('\n')) {
    const m = /^\s*([\d.]+)\s+([\d.]+)\s+(\d+)\s+(\d+)\s+(?:(\d+)\s+)?(\w+)\s*$/.exec(line);
    if (!m?.[2] || !m[4] || !m[6]) continue;
    if (m[6] === 'total') {
      totalCalls = Number(m[4]);
      continue;
    }
    syscalls.push({ syscall: m[6], calls: Number(m[4]), errors: Number(m[5] ?? 0), totalMs: Number(m[2]) * 1000 });
  }
  return { syscalls, totalCalls };
}

export interface StraceCall {
  /** The thread's id when strace -f printed `[pid N]`, else null (the traced process itself). */
  pid: number | null;
  syscall: string;
  /** The argument text as strace printed it (without the parentheses). */
  args: string;
  /** The return value's text (`0`, `-1 EAGAIN (…)`, `3`), or null if it never returned. */
  result: string | null;
}

/**
 * `strace [-f]` call lines. An `<unfinished ...>` call is completed by its `<... x resumed>`
 * line of the same pid. Lines strace interleaves ("Process N attached", signals, exits) are
 * skipped. Read from `strace -o FILE` output, where the program's own output cannot mix in.
 */
export function parseStraceCalls(text: string): StraceCall[] {
  const calls: StraceCall[] = [];
  const open = new Map<number | null, StraceCall>();
  for (const line of text.split('\n')) {
    const m = /^(?:\[pid\s+(\d+)\] |(\d+) +)?(.*)$/.exec(line);
    if (!m) continue;
    const pid = m[1] ?? m[2];
    const key = pid === undefined ? null : Number(pid);
    const rest = m[3] ?? '';
    const resumed = /^<\.\.\. (\w+) resumed>(.*?)\)\s+= (.*)$/.exec(rest);
    if (resumed) {
      const pending = open.get(key);
      if (pending && pending.syscall === resumed[1]) {
        pending.result = resumed[3] ?? null;
        open.delete(key);
      }
      continue;
    }
    const call = /^([a-z_][a-z0-9_]*)\((.*)$/.exec(rest);
    if (!call?.[1]) continue;
    const body = call[2] ?? '';
    const unfinished = /^(.*?)\s*<unfinished \.\.\.>$/.exec(body);
    if (unfinished) {
      const c: StraceCall = { pid: key, syscall: call[1], args: (unfinished[1] ?? '').replace(/,\s*$/, ''), result: null };
      calls.push(c);
      open.set(key, c);
      continue;
    }
    const done = /^(.*)\)\s+= (.*)$/.exec(body);
    if (done) calls.push({ pid: key, syscall: call[1], args: done[1] ?? '', result: done[2] ?? null });
  }
  return calls;
}

/** Splits strace's argument text at top-level commas (not inside quotes, braces or brackets). */
export function splitStraceArgs(args: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let quoted = false;
  let cur = '';
  for (let i = 0; i < args.length; i++) {
    const ch = args[i] as string;
    if (quoted) {
      cur += ch;
      if (ch === '\\') cur += args[++i] ?? '';
      else if (ch === '"') quoted = false;
      continue;
    }
    if (ch === '"') quoted = true;
    else if ('{[('.includes(ch)) depth++;
    else if ('}])'.includes(ch)) depth--;
    if (ch === ',' && depth === 0) {
      out.push(cur.trim());
      cur = '';
      continue;
    }
    cur += ch;
  }
  if (cur.trim()) out.push(cur.trim());
  return out;
}

/** A strace string argument `"…"` decoded (C escapes), or null when the argument is not a plain string. */
export function straceString(arg: string | undefined): string | null {
  const m = /^"((?:[^"\\]|\\.)*)"(\.\.\.)?$/.exec(arg ?? '');
  if (!m) return null;
  return (m[1] ?? '').replace(/\\(x[0-9a-fA-F]{2}|[0-7]{1,3}|.)/g, (_, e: string) => {
    if (e[0] === 'x') return String.fromCharCode(Number.parseInt(e.slice(1), 16));
    if (/^[0-7]+$/.test(e)) return String.fromCharCode(Number.parseInt(e, 8));
    return ({ n: '\n', t: '\t', r: '\r', v: '\v', f: '\f' } as Record<string, string>)[e] ?? e;
  });
}

/* ------------------------------------------------------------------ /proc */

/** `Key:  value` files (/proc/PID/status, /proc/PID/io, /proc/meminfo): the raw value text per key. */
export function parseProcKeyValues(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^([A-Za-z0-9_()]+):\s*(.*?)\s*$/.exec(line);
    if (m?.[1]) out.set(m[1], m[2] ?? '');
  }
  return out;
}

/** A `N kB` (or bare number) field of a key-value /proc file, in kB; null if absent or malformed. */
export function procKb(fields: Map<string, string>, key: string): number | null {
  const m = /^(\d+)(?: kB)?$/.exec(fields.get(key) ?? '');
  return m?.[1] ? Number(m[1]) : null;
}

/** /proc/PID/smaps_rollup: every `Key: N kB` field (Rss, Pss, Anonymous, Swap …) in kB. */
export function parseSmapsRollup(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m = /^(\w+):\s+(\d+) kB$/.exec(line.trim());
    if (m?.[1] && m[2]) out.set(m[1], Number(m[2]));
  }
  return out;
}

/** /proc/vmstat and other `name value` files. */
export function parseNameValues(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m = /^(\w+)\s+(-?\d+)$/.exec(line.trim());
    if (m?.[1] && m[2]) out.set(m[1], Number(m[2]));
  }
  return out;
}

export interface PressureLine {
  avg10: number;
  avg60: number;
  avg300: number;
  /** Total stall time, microseconds. */
  total: number;
}

/** /proc/pressure/{cpu,memory,io} (and cgroup *.pressure): the `some` and `full` lines. */
export function parsePressure(text: string): { some: PressureLine | null; full: PressureLine | null } {
  const read = (kind: string): PressureLine | null => {
    const m = new RegExp(`^${kind} avg10=([\\d.]+) avg60=([\\d.]+) avg300=([\\d.]+) total=(\\d+)$`, 'm').exec(text);
    if (!m) return null;
    return { avg10: Number(m[1]), avg60: Number(m[2]), avg300: Number(m[3]), total: Number(m[4]) };
  };
  return { some: read('some'), full: read('full') };
}

export interface TaskStat {
  pid: number;
  comm: string;
  state: string;
  ppid: number;
  minflt: number;
  majflt: number;
  /** Clock ticks. */
  utime: number;
  stime: number;
  numThreads: number;
  /** Bytes. */
  vsize: number;
  /** Pages. */
  rss: number;
}

/**
 * One /proc/PID/stat or /proc/PID/task/TID/stat line (proc(5) numbering). comm may contain
 * spaces and parentheses, so it ends at the last ')'.
 */
export function parseTaskStat(line: string): TaskStat | null {
  const open = line.indexOf('(');
  const close = line.lastIndexOf(')');
  if (open < 1 || close < open) return null;
  const pid = Number(line.slice(0, open).trim());
  const f = line
    .slice(close + 1)
    .trim()
    .split(/\s+/);
  // f[0] is field 3 (state): field n is f[n - 3].
  const at = (n: number) => Number(f[n - 3]);
  if (!Number.isInteger(pid) || f.length < 22) return null;
  return {
    pid,
    comm: line.slice(open + 1, close),
    state: f[0] ?? '?',
    ppid: at(4),
    minflt: at(10),
    majflt: at(12),
    utime: at(14),
    stime: at(15),
    numThreads: at(20),
    vsize: at(23),
    rss: at(24),
  };
}

/** Several stat lines (e.g. `cat /proc/PID/task/* /stat`). Malformed lines are dropped. */
export function parseTaskStats(text: string): TaskStat[] {
  return text
    .split('\n')
    .filter((l) => l.trim())
    .map(parseTaskStat)
    .filter((s): s is TaskStat => s !== null);
}

/** /proc/PID/wchan: the kernel function a sleeping task waits in, or null for a running one ("0"). */
export function parseWchan(text: string): string | null {
  const w = text.trim();
  return w === '' || w === '0' ? null : w;
}

/* ------------------------------------------------------------------ stat(1) */

export interface FileStat {
  size: number;
  blocks: number;
  inode: number;
  links: number;
  /** Octal permission bits as printed, e.g. "0644". */
  mode: string;
  uid: number;
  gid: number;
}

/** The default output of `stat FILE` (busybox and coreutils share the layout). */
export function parseStat(text: string): FileStat | null {
  const size = /Size: (\d+)/.exec(text);
  const blocks = /Blocks: (\d+)/.exec(text);
  const inode = /Inode: (\d+)/.exec(text);
  const links = /Links: (\d+)/.exec(text);
  const access = /Access: \((\d+)\/[^)]*\)\s+Uid: \(\s*(\d+)\/[^)]*\)\s+Gid: \(\s*(\d+)\//.exec(text);
  if (!size || !blocks || !inode || !links || !access) return null;
  return {
    size: Number(size[1]),
    blocks: Number(blocks[1]),
    inode: Number(inode[1]),
    links: Number(links[1]),
    mode: access[1] ?? '',
    uid: Number(access[2]),
    gid: Number(access[3]),
  };
}

/* ------------------------------------------------------------------ waiting: locks, syscall, fds */

export interface ProcLock {
  /** The lock's ordinal in /proc/locks (waiters share their holder's). */
  id: number;
  /** A `->` line: this process is waiting for the lock, not holding it. */
  blocked: boolean;
  /** FLOCK, POSIX, OFDLCK, LEASE … */
  type: string;
  /** READ or WRITE (or a lease's mode). */
  access: string;
  pid: number;
  /** `major:minor:inode` of the locked file, as printed (hex major/minor). */
  file: string;
  inode: number;
}

/**
 * /proc/locks: `1: FLOCK  ADVISORY  WRITE 209 00:02:395 0 EOF`, and for a process waiting on
 * that lock `1: -> FLOCK  ADVISORY  WRITE 321 00:02:395 0 EOF`. OFD locks print pid -1.
 */
export function parseProcLocks(text: string): ProcLock[] {
  const out: ProcLock[] = [];
  for (const line of text.split('\n')) {
    const m = /^(\d+): (-> )?(\w+)\s+\S+\s+(\w+)\s+(-?\d+)\s+([0-9a-f]+:[0-9a-f]+:(\d+))\s/.exec(line);
    if (!m?.[1] || !m[3] || !m[4] || !m[5] || !m[6] || !m[7]) continue;
    out.push({
      id: Number(m[1]),
      blocked: m[2] !== undefined,
      type: m[3],
      access: m[4],
      pid: Number(m[5]),
      file: m[6],
      inode: Number(m[7]),
    });
  }
  return out;
}

/**
 * /proc/PID/syscall: the number of the system call a blocked task sleeps in (then its arguments,
 * stack and instruction pointers), `running` for a task on a CPU, `-1 …` when it is blocked
 * outside a system call. The number is the architecture's own: read(2) is 0 on x86_64, 63 on arm64.
 */
export function parseProcSyscall(text: string): { nr: number | null; running: boolean } | null {
  const t = text.trim();
  if (t === 'running') return { nr: null, running: true };
  const m = /^(-?\d+)(?:\s|$)/.exec(t);
  if (!m?.[1]) return null;
  const nr = Number(m[1]);
  return { nr: nr < 0 ? null : nr, running: false };
}

export interface FdLink {
  pid: number;
  fd: number;
  /** What readlink printed: a path, `pipe:[11611]`, `socket:[…]`, `anon_inode:[eventfd]` … */
  target: string;
}

/**
 * `/proc/PID/fd/N -> TARGET` lines, as printed by
 * `for f in /proc/[0-9]*\/fd/*; do echo "$f -> $(readlink $f)"; done` (descriptors that closed
 * between the glob and the readlink print an empty target and are dropped).
 */
export function parseFdLinks(text: string): FdLink[] {
  const out: FdLink[] = [];
  for (const line of text.split('\n')) {
    const m = /^\/proc\/(\d+)\/fd\/(\d+) -> (.+)$/.exec(line.trim());
    if (m?.[1] && m[2] && m[3]) out.push({ pid: Number(m[1]), fd: Number(m[2]), target: m[3] });
  }
  return out;
}

/** The inode of a `pipe:[N]` (or `socket:[N]`) fd target, or null for anything else. */
export function anonInode(target: string, kind: 'pipe' | 'socket' = 'pipe'): number | null {
  const m = new RegExp(`^${kind}:\\[(\\d+)\\]$`).exec(target);
  return m?.[1] ? Number(m[1]) : null;
}

/* ------------------------------------------------------------------ cgroup v2 */

/** `/proc/PID/cgroup` on a cgroup-v2-only system: the path of the `0::` line, or null. */
export function parseCgroupPath(text: string): string | null {
  const m = /^0::(\/\S*)$/m.exec(text);
  return m?.[1] ?? null;
}

/** `cpu.max`: "QUOTA PERIOD" in µs; quota null for "max". */
export function parseCpuMax(text: string): { quota: number | null; period: number } | null {
  const m = /^(max|\d+) (\d+)$/.exec(text.trim());
  if (!m?.[1] || !m[2]) return null;
  const period = Number(m[2]);
  if (!(period > 0)) return null;
  return { quota: m[1] === 'max' ? null : Number(m[1]), period };
}

export interface OomKill {
  /** CONSTRAINT_MEMCG when a cgroup's memory.max was hit, CONSTRAINT_NONE for the whole machine. */
  constraint: string;
  /** The cgroup whose limit was hit (empty when not a memcg OOM). */
  oomMemcg: string;
  taskMemcg: string;
  task: string;
  pid: number;
  uid: number;
  /** The kernel's line, as printed. */
  line: string;
}

/**
 * The kernel's one-line OOM summary in `dmesg`, e.g.
 * `oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=/,mems_allowed=0,oom_memcg=/lab/x,task_memcg=/lab/x,task=bloat,pid=312,uid=1000`.
 * Only the kernel writes the log the grader reads (/dev/kmsg is root's), so a line is evidence.
 */
export function parseOomKills(text: string): OomKill[] {
  const out: OomKill[] = [];
  for (const raw of text.split('\n')) {
    const at = raw.indexOf('oom-kill:');
    if (at < 0) continue;
    const line = raw.slice(at).trim();
    const field = (name: string) => new RegExp(`[:,]${name}=([^,]*)`).exec(line)?.[1];
    const pid = Number(field('pid'));
    const task = field('task');
    if (!task || !Number.isInteger(pid) || pid <= 0) continue;
    out.push({
      constraint: field('constraint') ?? '',
      oomMemcg: field('oom_memcg') ?? '',
      taskMemcg: field('task_memcg') ?? '',
      task,
      pid,
      uid: Number(field('uid') ?? -1),
      line: raw.trim(),
    });
  }
  return out;
}

/* ------------------------------------------------------------------ namespaces, mounts */

/** `readlink /proc/PID/ns/NAME` lines: `pid:[4026531836]` → Map pid → 4026531836. */
export function parseNsLinks(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m = /^(\w+):\[(\d+)\]$/.exec(line.trim());
    if (m?.[1] && m[2]) out.set(m[1], Number(m[2]));
  }
  return out;
}

/** The `NSpid:` line of /proc/PID/status: the pid in each nested PID namespace, outermost first. */
export function parseNsPid(status: string): number[] | null {
  const m = /^NSpid:\s+([\d\s]+)$/m.exec(status);
  if (!m?.[1]) return null;
  return m[1].trim().split(/\s+/).map(Number);
}

export interface MountInfo {
  id: number;
  parent: number;
  /** major:minor of the filesystem (a fresh tmpfs or proc gets a new one). */
  dev: string;
  /** Root of the mount within its filesystem. */
  root: string;
  mountPoint: string;
  fsType: string;
  source: string;
  /** Optional fields: shared:N, master:N, … (empty when the mount is private). */
  propagation: string[];
}

const unescapeMount = (s: string) => s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(Number.parseInt(o, 8)));

/** /proc/PID/mountinfo (proc(5)); lines of another shape are skipped. */
export function parseMountInfo(text: string): MountInfo[] {
  const out: MountInfo[] = [];
  for (const line of text.split('\n')) {
    const [left, right] = line.split(' - ');
    if (!left || !right) continue;
    const f = left.trim().split(' ');
    const r = right.trim().split(' ');
    if (f.length < 6 || r.length < 2 || !/^\d+:\d+$/.test(f[2] ?? '')) continue;
    out.push({
      id: Number(f[0]),
      parent: Number(f[1]),
      dev: f[2] ?? '',
      root: unescapeMount(f[3] ?? ''),
      mountPoint: unescapeMount(f[4] ?? ''),
      fsType: r[0] ?? '',
      source: unescapeMount(r[1] ?? ''),
      propagation: f.slice(6),
    });
  }
  return out;
}

/** The mount a path resolves to: the last (topmost) mount at exactly that mount point. */
export function topMountAt(mounts: readonly MountInfo[], mountPoint: string): MountInfo | null {
  return mounts.filter((m) => m.mountPoint === mountPoint).at(-1) ?? null;
}
