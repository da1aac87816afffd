import { type CheckContext, type Evidence, expectOk, GraderError, type GuestExec, type LabGrader, type Verdict } from '../check';
import { type MountInfo, parseMountInfo, parseNsLinks, parseNsPid, topMountAt } from '../parse';
import { drawFor } from '../seed';

/**
 * Namespaces (labs/namespaces). The learner runs the lab's `sandboxd` inside a PID, mount and UTS
 * namespace they build with `unshare` (as the unprivileged lab user, so through a user namespace).
 * The session's ticket (drawn per session) names the hostname and where a private tmpfs goes.
 * The grader finds sandboxd from outside — every process whose executable is the lab's binary
 * (path and inode) — and compares, as root at Check time: its /proc/PID/ns/* links with PID 1's,
 * its NSpid line, the processes its own /proc shows against the members of its PID namespace
 * (counted from outside), its mount table against PID 1's (the tmpfs must be a new filesystem
 * nobody outside sees), and its hostname read by entering only its UTS namespace.
 */

export const SANDBOXD = '/opt/labs/namespaces/sandboxd';
export const TICKET = '/run/lab/ticket';
export const MOUNT_POINTS = ['/tmp', '/var/tmp', '/mnt/lab'] as const;
const WORDS = ['otter', 'heron', 'lynx', 'marten', 'ibis', 'vole', 'wren', 'stoat'] as const;
const HOST_HOSTNAME = 'kmap';

export interface NsDraw {
  hostname: string;
  mountPoint: string;
}

export function nsDraw(seed: string): NsDraw {
  const d = drawFor(seed, 'namespaces/hostname');
  return {
    hostname: `box-${d.pick(WORDS)}-${10 + d.int(90)}`,
    mountPoint: drawFor(seed, 'namespaces/mount').pick(MOUNT_POINTS),
  };
}

export function ticketText(d: NsDraw): string {
  return [
    `Ticket: run ${SANDBOXD} in a sandbox of its own.`,
    'pid: its own PID namespace, and a /proc that shows only the processes of that namespace',
    `mount: its own mount namespace, with a fresh tmpfs on ${d.mountPoint} that the rest of the machine does not see`,
    `uts: its own hostname: ${d.hostname}`,
    '',
  ].join('\n');
}

/** Every process running the lab's sandboxd binary (path and inode, read from outside). */
const FIND_SCRIPT = `t=$(/bin/stat -c '%d:%i' ${SANDBOXD}) || exit 1
for p in $(/bin/ls -l /proc/[0-9]*/exe 2>/dev/null | /bin/busybox sed -n 's#.* /proc/\\([0-9]*\\)/exe -> ${SANDBOXD}$#\\1#p'); do
  [ "$(/bin/stat -L -c '%d:%i' /proc/$p/exe 2>/dev/null)" = "$t" ] && echo $p
done; true`;

/**
 * What the grader reads about one candidate ($1), in one root shell: ns links of PID 1 and of the
 * candidate, its status, both mount tables, the pids its /proc shows, every process's pid ns
 * (to count the members from outside), and its hostname from inside its UTS namespace only.
 */
export const INSPECT_SCRIPT = `p=$1
sec() { echo "--- $1"; }
sec ns1; for n in pid mnt uts user; do /bin/readlink /proc/1/ns/$n; done
sec ns; for n in pid mnt uts user; do /bin/readlink /proc/$p/ns/$n; done
sec status; /bin/cat /proc/$p/status
sec mounts1; /bin/cat /proc/1/mountinfo
sec mounts; /bin/cat /proc/$p/mountinfo
sec itsproc; /bin/ls /proc/$p/root/proc 2>/dev/null | /bin/grep -E '^[0-9]+$' | /bin/busybox sort -n | /bin/busybox tr '\\n' ' '; echo
sec members; /bin/ls -l /proc/[0-9]*/ns/pid 2>/dev/null
sec hostname; /bin/busybox nsenter -t $p -u /bin/hostname
sec hosthostname; /bin/hostname
sec end`;

export interface NsView {
  pid: number;
  ns1: Map<string, number>;
  ns: Map<string, number>;
  nsPid: number[] | null;
  mounts1: MountInfo[];
  mounts: MountInfo[];
  /** Pids listed in the candidate's own /proc. */
  itsProc: number[];
  /** Host pids in the candidate's PID namespace, counted from outside. */
  members: number[];
  hostname: string;
  hostHostname: string;
}

export function parseInspect(pid: number, text: string): NsView {
  const sec = (name: string) => {
    const m = new RegExp(`^--- ${name}\\n([\\s\\S]*?)(?=^--- )`, 'm').exec(text);
    if (!m) throw new GraderError(`could not read ${name} of pid ${pid}`);
    return m[1] ?? '';
  };
  const ns = parseNsLinks(sec('ns'));
  const nsPid = ns.get('pid');
  const members: number[] = [];
  for (const line of sec('members').split('\n')) {
    const m = /\/proc\/(\d+)\/ns\/pid -> pid:\[(\d+)\]$/.exec(line.trim());
    if (m && Number(m[2]) === nsPid) members.push(Number(m[1]));
  }
  return {
    pid,
    ns1: parseNsLinks(sec('ns1')),
    ns,
    nsPid: parseNsPid(sec('status')),
    mounts1: parseMountInfo(sec('mounts1')),
    mounts: parseMountInfo(sec('mounts')),
    itsProc: sec('itsproc').trim().split(/\s+/).filter(Boolean).map(Number),
    members,
    hostname: sec('hostname').trim(),
    hostHostname: sec('hosthostname').trim(),
  };
}

const nsLine = (v: NsView, name: string) =>
  `${name}: sandboxd ${v.ns.get(name) ?? '?'}, PID 1 ${v.ns1.get(name) ?? '?'}${v.ns.get(name) === v.ns1.get(name) ? ' (shared)' : ' (own)'}`;
const own = (v: NsView, name: string) => v.ns.get(name) !== undefined && v.ns.get(name) !== v.ns1.get(name);

type Judge = (v: NsView, d: NsDraw) => Verdict;

export const judgePid: Judge = (v) => {
  const evidence: Evidence[] = [
    {
      source: `/proc/${v.pid}/ns/pid, NSpid in /proc/${v.pid}/status, /proc/${v.pid}/root/proc, every /proc/*/ns/pid`,
      lines: [
        nsLine(v, 'pid'),
        `NSpid: ${v.nsPid?.join(' ') ?? '?'}`,
        `its /proc lists: ${v.itsProc.slice(0, 12).join(' ')}${v.itsProc.length > 12 ? ` … (${v.itsProc.length} in all)` : ''}`,
        `processes in its PID namespace, seen from outside: ${v.members.length}`,
      ],
    },
  ];
  if (!own(v, 'pid') || !v.nsPid || v.nsPid.length < 2)
    return {
      passed: false,
      reason: `sandboxd (pid ${v.pid}) shares PID 1's PID namespace. unshare -p (with -f: the namespace is for children).`,
      evidence,
    };
  if (v.itsProc.length !== v.members.length)
    return {
      passed: false,
      reason: `sandboxd has its own PID namespace (it is pid ${v.nsPid.at(-1)} there), but its /proc lists ${v.itsProc.length} processes while its namespace holds ${v.members.length}: that /proc still belongs to the machine. Mount a proc for the new namespace (--mount-proc, which needs a mount namespace too).`,
      evidence,
    };
  return {
    passed: true,
    reason: `sandboxd is pid ${v.nsPid.at(-1)} in its own PID namespace, and its /proc shows exactly the ${v.members.length} process(es) of that namespace.`,
    evidence,
  };
};

export const judgeMount: Judge = (v, d) => {
  const mine = topMountAt(v.mounts, d.mountPoint);
  const outside = v.mounts1.filter((m) => m.dev === mine?.dev);
  const evidence: Evidence[] = [
    {
      source: `/proc/${v.pid}/ns/mnt, /proc/${v.pid}/mountinfo and /proc/1/mountinfo`,
      lines: [
        nsLine(v, 'mnt'),
        `sandboxd sees on ${d.mountPoint}: ${mine ? `${mine.fsType} dev ${mine.dev} (mount ${mine.id}${mine.propagation.length ? `, ${mine.propagation.join(' ')}` : ', private'})` : 'no mount'}`,
        `PID 1 sees dev ${mine?.dev ?? '-'}: ${outside.length ? outside.map((m) => `${m.fsType} on ${m.mountPoint}`).join(', ') : 'nowhere'}`,
      ],
    },
  ];
  if (!own(v, 'mnt')) return { passed: false, reason: `sandboxd (pid ${v.pid}) shares PID 1's mount namespace: unshare -m.`, evidence };
  if (mine?.fsType !== 'tmpfs')
    return {
      passed: false,
      reason: `In sandboxd's mount table nothing is mounted on ${d.mountPoint} itself, or not a tmpfs; the ticket asks for a fresh tmpfs there.`,
      evidence,
    };
  if (outside.length > 0)
    return {
      passed: false,
      reason: `The tmpfs sandboxd sees on ${d.mountPoint} is one the rest of the machine sees too (dev ${mine.dev}): mount a new one inside the namespace, and keep the namespace's mounts private.`,
      evidence,
    };
  return {
    passed: true,
    reason: `sandboxd has its own mount table with a fresh tmpfs on ${d.mountPoint} (dev ${mine.dev}) that PID 1's table does not have.`,
    evidence,
  };
};

export const judgeUts: Judge = (v, d) => {
  const evidence: Evidence[] = [
    {
      source: `/proc/${v.pid}/ns/uts; hostname run as root inside sandboxd's UTS namespace only (nsenter -u), and outside`,
      lines: [nsLine(v, 'uts'), `inside: ${v.hostname}`, `outside: ${v.hostHostname}`],
    },
  ];
  if (!own(v, 'uts'))
    return {
      passed: false,
      reason: `sandboxd (pid ${v.pid}) shares PID 1's UTS namespace, so it has the machine's hostname: unshare -u.`,
      evidence,
    };
  if (v.hostHostname !== HOST_HOSTNAME)
    return {
      passed: false,
      reason: `The machine's own hostname changed (${v.hostHostname}); the ticket's name belongs inside the sandbox only.`,
      evidence,
    };
  if (v.hostname !== d.hostname)
    return {
      passed: false,
      reason: `sandboxd has its own UTS namespace, but its hostname is ${v.hostname}; the ticket asks for ${d.hostname}.`,
      evidence,
    };
  return { passed: true, reason: `sandboxd's own UTS namespace is named ${d.hostname}; the machine is still ${v.hostHostname}.`, evidence };
};

async function candidates(exec: GuestExec): Promise<number[]> {
  const r = expectOk('look for sandboxd', await exec(['/bin/sh', '-c', FIND_SCRIPT]));
  return r.stdout
    .split('\n')
    .filter((l) => /^\d+$/.test(l.trim()))
    .map(Number);
}

async function inspect(exec: GuestExec, pid: number): Promise<NsView | null> {
  const r = await exec(['/bin/sh', '-c', INSPECT_SCRIPT, 'sh', String(pid)], { maxOutput: 1 << 20 });
  // A candidate that ended between the look and the read is no candidate.
  if (!r.stdout.includes('--- end')) return null;
  return parseInspect(pid, r.stdout);
}

/** Passes when some sandboxd passes; otherwise the first candidate's verdict explains the failure. */
function task(judge: Judge) {
  return async (ctx: CheckContext): Promise<Verdict> => {
    const d = nsDraw(ctx.seed);
    const pids = await candidates(ctx.exec);
    let first: Verdict | null = null;
    for (const pid of pids) {
      const v = await inspect(ctx.exec, pid);
      if (!v) continue;
      const verdict = judge(v, d);
      if (verdict.passed) return verdict;
      first ??= verdict;
    }
    return (
      first ?? {
        passed: false,
        reason: `No process is running ${SANDBOXD} (the grader looks for its executable, by path and inode). Start it inside your namespaces and leave it running.`,
        evidence: [],
      }
    );
  };
}

export const namespaces: LabGrader = {
  labId: 'namespaces',
  tasks: [
    { id: 'pid', check: task(judgePid) },
    { id: 'mount', check: task(judgeMount) },
    { id: 'uts', check: task(judgeUts) },
  ],
  async prepareSession({ seed, exec }) {
    const script = [
      'set -e',
      '/bin/mkdir -p /run/lab && /bin/chmod 755 /run/lab',
      `/bin/cat > ${TICKET} <<'EOF'\n${ticketText(nsDraw(seed))}EOF`,
      `/bin/chmod 644 ${TICKET}`,
    ].join('\n');
    expectOk('write the ticket', await exec(['/bin/sh', '-c', script]));
  },
};
