import type net from 'node:net';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { msUsedSince, utcDayStart } from '@/lib/labs';
import { ACTIVE_CHARS_PER_MINUTE, SocketConsole, typedChars } from '@/lib/vm/console';

/**
 * Issue 8: 30 sign-ups held every lab slot for hours with `extend` and one keystroke every
 * 14 minutes. The idle limit now needs real typing, and lab time is capped per learner per day.
 */
describe('idle limit counts real activity', () => {
  it('does not reset the idle clock for a lone keystroke or the terminal’s automatic answers', () => {
    const clock = { now: 1_000_000 };
    const con = new SocketConsole(new PassThrough() as unknown as net.Socket, { now: () => clock.now });
    const start = con.lastInputAt;
    clock.now += 14 * 60_000;
    con.write('\r'); // one keystroke per window
    expect(con.lastInputAt).toBe(start);
    clock.now += 60_000;
    con.write('\x1b[24;80R'); // xterm answering the shell's cursor-position query
    con.write('\x1b[A'); // an arrow key
    expect(con.lastInputAt).toBe(start);
    clock.now += 60_000;
    con.write('ls -la\r'); // a command
    expect(con.lastInputAt).toBe(clock.now);
  });

  it('counts typed characters without escape sequences', () => {
    expect(typedChars('\x1b[12;1R')).toBe(0);
    expect(typedChars('cat f\r')).toBe(6);
    expect(ACTIVE_CHARS_PER_MINUTE).toBeGreaterThan(1);
  });
});

describe('daily lab time', () => {
  const day = utcDayStart(new Date('2026-12-07T15:30:00Z'));
  it('starts the day at 00:00 UTC', () => {
    expect(day.toISOString()).toBe('2026-12-07T00:00:00.000Z');
  });
  it('counts only today’s part of each session, a running one up to now', () => {
    const now = new Date('2026-12-07T15:30:00Z');
    const rows = [
      { startedAt: new Date('2026-12-06T23:30:00Z'), endedAt: new Date('2026-12-07T00:45:00Z') }, // 45 min today
      { startedAt: new Date('2026-12-07T10:00:00Z'), endedAt: new Date('2026-12-07T11:00:00Z') }, // 60
      { startedAt: new Date('2026-12-07T15:00:00Z'), endedAt: null }, // 30, running
      { startedAt: new Date('2026-12-05T10:00:00Z'), endedAt: new Date('2026-12-05T12:00:00Z') }, // yesterday's yesterday
    ];
    expect(msUsedSince(rows, day, now) / 60_000).toBe(135);
  });
});
