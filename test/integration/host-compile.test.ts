import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyseRing } from '@/lib/grader';
import { hostCompile } from '@/lib/vm';

/**
 * The memory-ordering grader compiles a learner's C on the host. The sandbox (bubblewrap, installed
 * by npm run labs:images with the cross compiler) must build real code for both arches and show
 * the learner nothing of the host: not its /etc, not this working tree.
 */

const shipped = readFileSync(path.join(process.cwd(), 'labs/memory-ordering/guest/ring.c'), 'utf8');
/** The shipped ring.c with the reference fix (labs/memory-ordering/cases/solution/case.yaml's edit). */
const solution = shipped
  .replace(/^ {2}head = h \+ 1;/m, '  __atomic_store_n(&head, h + 1, __ATOMIC_RELEASE);')
  .replace(/^ {2}unsigned h = head; \/\* how many/m, '  unsigned h = __atomic_load_n(&head, __ATOMIC_ACQUIRE); /* how many')
  .replace(/^ {2}tail = t \+ 1;/m, '  __atomic_store_n(&tail, t + 1, __ATOMIC_RELEASE);');

describe('host compile sandbox', () => {
  it('builds the ring for aarch64 and x86_64: an ELF program of the right machine and its disassembly', async () => {
    for (const arch of ['aarch64', 'x86_64'] as const) {
      const r = await hostCompile({ source: solution, arch });
      expect(r.ok, r.diagnostics).toBe(true);
      const elf = Buffer.from(r.programBase64, 'base64');
      expect(elf.subarray(0, 4).toString('latin1')).toBe('\x7fELF');
      expect(elf.readUInt16LE(18)).toBe(arch === 'aarch64' ? 183 : 62); // e_machine: EM_AARCH64 / EM_X86_64
      expect(r.disassembly).toContain('<ring_push>:');
    }
    const a = await hostCompile({ source: solution, arch: 'aarch64' });
    expect(analyseRing(a.disassembly, a.symbols).publish[0]).toMatchObject({ ok: true, at: { mnemonic: 'stlr' } });
  });

  it('reports compile errors with the line, and without host paths', async () => {
    const r = await hostCompile({ source: solution.replace('int ring_push(', 'int ring_push(oops '), arch: 'aarch64' });
    expect(r.ok).toBe(false);
    expect(r.diagnostics).toMatch(/ring\.c:\d+:\d+: error/);
    expect(r.diagnostics).not.toContain(process.cwd());
  });

  it('sees none of the host: #include of /etc/hostname and .incbin of this repository both fail', async () => {
    const hostname = readFileSync('/etc/hostname', 'utf8').trim();
    const inc = await hostCompile({ source: `#include "/etc/hostname"\nint main(void) { return 0; }\n`, arch: 'x86_64' });
    expect(inc.ok).toBe(false);
    expect(inc.diagnostics).toMatch(/No such file/);
    if (hostname.length > 3) expect(inc.diagnostics).not.toContain(hostname);
    const own = path.join(process.cwd(), 'package.json');
    const bin = await hostCompile({
      source: `__asm__(".section .rodata\\n.incbin \\"${own}\\"\\n.previous");\nint main(void) { return 0; }\n`,
      arch: 'aarch64',
    });
    expect(bin.ok).toBe(false);
    expect(bin.diagnostics).toContain('file not found');
  });

  it('refuses a source over 64 KiB before compiling it', async () => {
    const r = await hostCompile({ source: `// ${'x'.repeat(70 * 1024)}\nint main(void) { return 0; }\n`, arch: 'x86_64' });
    expect(r).toMatchObject({ ok: false, diagnostics: expect.stringMatching(/over 64 KiB/) });
  });
});
