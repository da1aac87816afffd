import { describe, expect, it } from 'vitest';
import { ByteRing, decodeAgentReply, encodeAgentRequest, LineDecoder } from '@/lib/vm';

const bytes = (s: string) => new TextEncoder().encode(s);

describe('agent protocol', () => {
  it('encodes one request per line, escaping newlines inside arguments', () => {
    const line = encodeAgentRequest({ id: '1', op: 'exec', argv: ['printf', 'a\nb'], timeoutMs: 1000, maxOutput: 10, user: 'root' });
    expect(line.endsWith('\n')).toBe(true);
    expect(line.slice(0, -1)).not.toContain('\n');
    expect(JSON.parse(line)).toMatchObject({ argv: ['printf', 'a\nb'] });
  });

  it('decodes exec, ok and error replies and rejects anything else', () => {
    const exec = decodeAgentReply(
      '{"id":"3","exit":0,"signal":0,"timedOut":false,"durationMs":2,"stdoutTruncated":false,"stderrTruncated":false,"stdout":"hi\\n","stderr":""}',
    );
    expect(exec).toMatchObject({ id: '3', exit: 0, stdout: 'hi\n' });
    expect(decodeAgentReply('{"id":"4","ok":true}')).toEqual({ id: '4', ok: true });
    expect(decodeAgentReply('{"id":null,"error":"request line too long"}')).toEqual({ id: null, error: 'request line too long' });
    expect(decodeAgentReply('{"id":"5","exit":"0"}')).toBeNull();
    expect(decodeAgentReply('not json')).toBeNull();
  });
});

describe('LineDecoder', () => {
  it('reassembles lines split across chunks, including multi-byte characters', () => {
    const lines: string[] = [];
    const d = new LineDecoder(100, (l) => lines.push(l));
    const all = bytes('héllo\nwörld\n');
    d.push(all.subarray(0, 2));
    d.push(all.subarray(2, 9));
    d.push(all.subarray(9));
    expect(lines).toEqual(['héllo', 'wörld']);
  });

  it('drops an over-long line without buffering it, then carries on', () => {
    const lines: string[] = [];
    let overflows = 0;
    const d = new LineDecoder(
      8,
      (l) => lines.push(l),
      () => overflows++,
    );
    d.push(bytes('0123456789'));
    expect(d.buffered).toBe(0);
    d.push(bytes('abcdef\nok\n'));
    expect(lines).toEqual(['ok']);
    expect(overflows).toBe(1);
  });
});

describe('ByteRing', () => {
  it('keeps only the newest bytes, whatever is written', () => {
    const r = new ByteRing(8);
    r.write(bytes('abc'));
    r.write(bytes('defgh'));
    r.write(bytes('ij'));
    expect(new TextDecoder().decode(r.contents())).toBe('cdefghij');
    r.write(bytes('0123456789abcdef'));
    expect(new TextDecoder().decode(r.contents())).toBe('89abcdef');
    expect(r.length).toBe(8);
    expect(r.total).toBe(26);
  });

  it('stays at its capacity under a flood', () => {
    const r = new ByteRing(1024);
    const chunk = new Uint8Array(4096).fill(121);
    for (let i = 0; i < 1000; i++) r.write(chunk);
    expect(r.length).toBe(1024);
    expect(r.total).toBe(4096 * 1000);
  });
});
