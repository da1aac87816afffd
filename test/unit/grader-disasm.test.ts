import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseObjdump, parseSymbolTable, resolveTarget } from '@/lib/grader/disasm';
import { analyseRing, expectedSum, parseRingLine } from '@/lib/grader/labs/memory-ordering';

/** Real `objdump -dr` / `objdump -t` of labs/memory-ordering's ring.c and its cases, from Debian's gcc 12. */
const fixture = (name: string) => {
  const text = readFileSync(path.join(__dirname, '../fixtures/grader/disasm', `${name}.txt`), 'utf8');
  const [dis = '', syms = ''] = text.split('@@SYMBOLS@@');
  return { dis, syms };
};
const verdicts = (name: string) => {
  const { dis, syms } = fixture(`aarch64-${name}`);
  const a = analyseRing(dis, syms);
  expect(a.problem).toBeNull();
  return {
    publish: a.publish.every((f) => f.ok),
    acquire: a.consumeAcquire.every((f) => f.ok),
    release: a.consumeRelease.every((f) => f.ok),
    a,
  };
};

describe('objdump parsing', () => {
  it('reads functions, instructions and their relocations', () => {
    const { dis, syms } = fixture('aarch64-untouched');
    const fns = parseObjdump(dis);
    expect([...fns.keys()]).toEqual(expect.arrayContaining(['ring_push', 'ring_pop', 'main']));
    const push = fns.get('ring_push') ?? [];
    expect(push[0]).toMatchObject({ address: 0, mnemonic: 'adrp', relocation: { type: 'R_AARCH64_ADR_PREL_PG_HI21', target: '.bss+0x4' } });
    const symbols = parseSymbolTable(syms);
    expect(symbols.find((s) => s.name === 'slots')).toMatchObject({ section: '.bss', value: 8, size: 0x600 });
    expect(resolveTarget('.bss+0x4', symbols)).toBe('head');
    expect(resolveTarget('.bss', symbols)).toBe('tail');
    expect(resolveTarget('.bss+0x20', symbols)).toBe('slots');
  });

  it('reads x86_64 listings too', () => {
    const { dis } = fixture('x86_64-solution');
    const push = parseObjdump(dis).get('ring_push') ?? [];
    expect(push.some((i) => i.mnemonic === 'mov' && i.relocation?.type === 'R_X86_64_PC32')).toBe(true);
  });
});

describe('the ARMv8 ordering the ring needs', () => {
  it('fails the x86-only code (compiler barriers emit no instruction)', () => {
    const v = verdicts('untouched');
    expect(v).toMatchObject({ publish: false, acquire: false, release: false });
    expect(v.a.publish[0]?.why).toMatch(/plain str/);
  });

  it('passes acquire/release builtins: stlr and ldar', () => {
    const v = verdicts('solution');
    expect(v).toMatchObject({ publish: true, acquire: true, release: true });
    expect(v.a.publish[0]?.at?.mnemonic).toBe('stlr');
    expect(v.a.consumeAcquire[0]?.at?.mnemonic).toBe('ldar');
  });

  it('passes fences: dmb ish before the stores, dmb ishld after the load', () => {
    expect(verdicts('solution-fences')).toMatchObject({ publish: true, acquire: true, release: true });
    expect(verdicts('solution-seq-cst')).toMatchObject({ publish: true, acquire: true, release: true });
  });

  it('fails a half fix and a volatile one', () => {
    expect(verdicts('near-miss-producer-only')).toMatchObject({ publish: true, acquire: false, release: false });
    expect(verdicts('near-miss-volatile')).toMatchObject({ publish: false, acquire: false, release: false });
  });

  it('a store barrier (dmb ishst) publishes, but orders no loads', () => {
    const v = verdicts('near-miss-wmb');
    expect(v).toMatchObject({ publish: true, acquire: false, release: false });
    expect(v.a.consumeRelease[0]?.why).toMatch(/ishst/);
  });

  it('notes a plain read of tail in the producer without failing it', () => {
    const v = verdicts('untouched');
    expect(v.a.producerTail).toHaveLength(1);
    expect(v.a.producerTail[0]).toMatchObject({ ok: true });
    expect(v.a.producerTail[0]?.why).toMatch(/control dependency|depend/);
  });

  it('refuses code without ring_push', () => {
    const { dis, syms } = fixture('aarch64-solution');
    const a = analyseRing(dis.replaceAll('<ring_push>', '<push_it>'), syms);
    expect(a.problem).toMatch(/ring_push/);
  });
});

describe('ring output', () => {
  it('matches the program: splitmix64 sum', () => {
    expect(parseRingLine('ring messages=1000 bad=0 sum=abcdef0123456789\n')).toEqual({ messages: 1000, bad: 0, sum: 'abcdef0123456789' });
    // Printed by the untouched program built with gcc: `ring 1000 7`, `ring 1 0`.
    expect(expectedSum(1000, 7n)).toBe('75e40a21fbb323a0');
    expect(expectedSum(1, 0n)).toBe('e220a8397b1dcdaf');
  });
});
