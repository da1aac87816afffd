import { type CheckContext, GraderError, type LabGrader, type Verdict } from '../check';
import { perfCounter } from '../parse';
import { perfStat, voidedNote } from '../perf-stat';

/**
 * The syscall tax (labs/syscall-tax). ledger writes every field of every record with its own
 * write(2). The learner measures that (strace -c, perf trace -s) and batches it through
 * ~/ledger.conf. The grader runs ledger itself with that config and counts write/writev syscalls
 * in the kernel (perf stat on the sys_enter tracepoints) and checks the output byte for byte.
 */

export const LEDGER = '/opt/labs/syscall-tax/ledger';
const RECORDS = 2000;
/** At most one write per 20 records. The untouched program makes 4 per record. */
export const MAX_SYSCALLS_PER_RECORD = 0.05;

/** What ledger must write for `records` records (mirrors ledger.c's format). */
export function expectedLedger(records: number): string {
  const lines: string[] = [];
  for (let r = 0; r < records; r++) {
    const amount = `${(r * 104729) % 100000}.${String(r % 100).padStart(2, '0')}`;
    lines.push(`${String(r).padStart(8, '0')},acct-${String((r * 7919) % 10000).padStart(4, '0')},${amount}\n`);
  }
  return lines.join('');
}

async function batchTheWrites(ctx: CheckContext): Promise<Verdict> {
  const out = `/tmp/kmap-ledger-${ctx.nonce()}.out`;
  const run = await perfStat(ctx, {
    events: ['syscalls:sys_enter_write', 'syscalls:sys_enter_writev', 'syscalls:sys_enter_pwrite64', 'syscalls:sys_enter_pwritev'],
    argv: [LEDGER, '--out', out, '--records', String(RECORDS), '--config', '/home/student/ledger.conf'],
  });
  const { out: r, stat } = run;
  const counts = ['write', 'writev', 'pwrite64', 'pwritev'].map((s) => [s, perfCounter(stat, `syscalls:sys_enter_${s}`)] as const);
  if (counts.some(([, c]) => c === null)) throw new GraderError(`perf stat did not count (exit ${r.exitCode}): ${r.stderr.slice(-300)}`);
  const total = counts.reduce((a, [, c]) => a + (c ?? 0), 0);
  const perRecord = total / RECORDS;
  const written = await ctx.exec(['/bin/cat', out], { maxOutput: 1024 * 1024 });
  await ctx.exec(['/bin/rm', '-f', out]);
  const ledgerLines = r.stderr.split('\n').filter((l) => l.startsWith('ledger:') || l.startsWith('/home'));
  const evidence = [
    {
      source: `perf stat -e syscalls:sys_enter_{write,writev,pwrite64,pwritev} -- ledger --records ${RECORDS} --config ~/ledger.conf`,
      lines: [
        ...counts.map(([s, c]) => `${s}: ${c}`),
        `${total} write syscalls for ${RECORDS} records = ${perRecord.toFixed(3)} per record`,
        ...ledgerLines,
        ...voidedNote(run),
      ],
    },
  ];
  if (r.exitCode !== 0)
    return {
      passed: false,
      reason: `ledger exited ${r.exitCode} with your config: ${ledgerLines.join(' ') || r.stderr.slice(-200)}`,
      evidence,
    };
  const expected = expectedLedger(RECORDS);
  if (written.stdout !== expected) {
    const got = written.stdout.split('\n').length - 1;
    evidence.push({
      source: `cat ${out}`,
      lines: [`${got} lines, ${written.stdout.length} bytes; expected ${RECORDS} lines, ${expected.length} bytes`],
    });
    return {
      passed: false,
      reason: 'The ledger file is not what the records should be: batching must not lose or reorder records.',
      evidence,
    };
  }
  evidence.push({ source: `cat ${out}`, lines: [`${RECORDS} records, ${expected.length} bytes, identical to the expected ledger`] });
  if (perRecord > MAX_SYSCALLS_PER_RECORD)
    return {
      passed: false,
      reason: `${perRecord.toFixed(2)} write syscalls per record (untouched: 4). Each call pays the kernel entry and exit; gather at least 20 records into one call.`,
      evidence,
    };
  return {
    passed: true,
    reason: `${total} write syscalls for ${RECORDS} records (${perRecord.toFixed(3)} per record), and the ledger is intact.`,
    evidence,
  };
}

export const syscallTax: LabGrader = {
  labId: 'syscall-tax',
  tasks: [{ id: 'batch-writes', check: batchTheWrites }],
};
