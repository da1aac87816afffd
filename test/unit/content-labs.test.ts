import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { labSnapshotSpec, readLabs } from '@/lib/content';
import { labSetupHash } from '@/lib/vm';

/** lab.yaml's setup split (snapshot time / per session) and resources, as lib/content reads them. */
let root = '';
function lab(id: string, yaml: string, files: Record<string, string> = {}): void {
  const dir = path.join(root, id);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'lab.yaml'), `id: ${id}\ntitle: T\narches: [x86_64, aarch64]\n${yaml}`);
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text);
}
afterEach(() => {
  if (root) fs.rmSync(root, { recursive: true, force: true });
});
const fresh = () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'km-labs-'));
};

describe('lab.yaml setup and resources', () => {
  it('takes labs/<id>/setup as the snapshot-time setup when lab.yaml says nothing, on one vCPU', () => {
    fresh();
    lab('plain', '', { setup: 'echo once\n' });
    const { labs, problems } = readLabs(root);
    expect(problems).toEqual([]);
    expect(labs[0]).toMatchObject({ id: 'plain', setup: 'echo once\n', sessionSetup: null, vcpus: 1 });
    expect(labSnapshotSpec(labs[0] as (typeof labs)[0])).toEqual({
      labId: 'plain',
      arches: ['x86_64', 'aarch64'],
      user: 'student',
      disk: false,
      vcpus: 1,
      setup: 'echo once\n',
    });
  });

  it('reads the declared split and the vCPUs', () => {
    fresh();
    lab('split', 'resources: { vcpus: 2 }\nsetup: { snapshot: prepare, session: per-session }\n', {
      prepare: 'echo image\n',
      'per-session': 'echo session\n',
    });
    const { labs, problems } = readLabs(root);
    expect(problems).toEqual([]);
    expect(labs[0]).toMatchObject({ setup: 'echo image\n', sessionSetup: 'echo session\n', vcpus: 2 });
  });

  it('has no lab snapshot without a snapshot-time setup', () => {
    fresh();
    lab('bare', 'setup: { session: per-session }\n', { 'per-session': 'echo session\n' });
    const { labs } = readLabs(root);
    expect(labs[0]?.setup).toBeNull();
    expect(labSnapshotSpec(labs[0] as (typeof labs)[0])).toBeNull();
  });

  it('names a missing setup file, bad vCPU counts, unknown keys and path tricks', () => {
    fresh();
    lab('missing', 'setup: { snapshot: nope }\n');
    lab('zero', 'resources: { vcpus: 0 }\n');
    lab('many', 'resources: { vcpus: 5 }\n');
    lab('half', 'resources: { vcpus: 1.5 }\n');
    lab('memory', 'resources: { memoryMiB: 512 }\n');
    lab('escape', 'setup: { snapshot: ../hello/setup }\n');
    lab('same', 'setup: { snapshot: setup, session: setup }\n', { setup: 'x\n' });
    const { labs, problems } = readLabs(root);
    expect(labs).toEqual([]);
    const text = problems.map((p) => `${path.basename(path.dirname(p.file))}: ${p.message}`).sort();
    expect(text).toEqual([
      expect.stringMatching(/^escape: setup\.snapshot: must be a file name inside the lab/),
      expect.stringMatching(/^half: resources\.vcpus: vcpus must be a whole number/),
      expect.stringMatching(/^many: resources\.vcpus: vcpus must be at most 4/),
      expect.stringMatching(/^memory: resources: .*memoryMiB/),
      'missing: setup.snapshot: file labs/missing/nope does not exist',
      'same: setup: snapshot and session must be different files',
      expect.stringMatching(/^zero: resources\.vcpus: /),
    ]);
  });

  it("changes the lab snapshot's hash with its setup and its shape, and only then", () => {
    const spec = { labId: 'l', user: 'student' as const, disk: false, vcpus: 1, setup: 'echo a\n' };
    const h = labSetupHash(spec);
    expect(h).toMatch(/^[0-9a-f]{16}$/);
    expect(labSetupHash({ ...spec })).toBe(h);
    expect(labSetupHash({ ...spec, setup: 'echo b\n' })).not.toBe(h);
    expect(labSetupHash({ ...spec, vcpus: 2 })).not.toBe(h);
    expect(labSetupHash({ ...spec, disk: true })).not.toBe(h);
    expect(labSetupHash({ ...spec, labId: 'm' })).not.toBe(h);
  });
});
