import { isInsideWindow, nextWindowStart, WindowSpec } from './delivery-window';

const ny = (start: string, end: string): WindowSpec => ({
  start,
  end,
  timeZone: 'America/New_York',
});
const next = (w: WindowSpec, iso: string) => nextWindowStart(w, new Date(iso)).toISOString();

describe('delivery window', () => {
  it('inside the window: now', () => {
    // 14:00 EDT.
    expect(next(ny('09:00', '20:00'), '2026-06-15T18:00:00.000Z')).toBe('2026-06-15T18:00:00.000Z');
    expect(isInsideWindow(ny('09:00', '20:00'), new Date('2026-06-15T18:00:00Z'))).toBe(true);
  });

  it('before the start: today at the start; after the end: tomorrow at the start', () => {
    // 07:00 EDT → 09:00 EDT the same day.
    expect(next(ny('09:00', '20:00'), '2026-06-15T11:00:00.000Z')).toBe('2026-06-15T13:00:00.000Z');
    // 21:00 EDT → 09:00 EDT the next day.
    expect(next(ny('09:00', '20:00'), '2026-06-16T01:00:00.000Z')).toBe('2026-06-16T13:00:00.000Z');
    expect(isInsideWindow(ny('09:00', '20:00'), new Date('2026-06-16T00:00:00Z'))).toBe(false);
  });

  it('the end is excluded, the start included', () => {
    expect(isInsideWindow(ny('09:00', '20:00'), new Date('2026-06-15T13:00:00Z'))).toBe(true);
    expect(isInsideWindow(ny('09:00', '20:00'), new Date('2026-06-16T00:00:00Z'))).toBe(false);
  });

  it('a window across midnight (22:00–06:00)', () => {
    const w = ny('22:00', '06:00');
    // 23:30 and 03:00 EDT are inside; 12:00 EDT waits for 22:00 EDT.
    expect(isInsideWindow(w, new Date('2026-06-16T03:30:00Z'))).toBe(true);
    expect(isInsideWindow(w, new Date('2026-06-16T07:00:00Z'))).toBe(true);
    expect(next(w, '2026-06-16T16:00:00.000Z')).toBe('2026-06-17T02:00:00.000Z');
  });

  it('the offset of the start day, not of now, on a DST day (spring forward, 8 March 2026)', () => {
    // 23:00 EST on 7 March → 09:00 EDT on 8 March (13:00Z, not 14:00Z).
    expect(next(ny('09:00', '20:00'), '2026-03-08T04:00:00.000Z')).toBe('2026-03-08T13:00:00.000Z');
    // Fall back (1 November 2026): 23:00 EDT on 31 October → 09:00 EST (14:00Z).
    expect(next(ny('09:00', '20:00'), '2026-11-01T03:00:00.000Z')).toBe('2026-11-01T14:00:00.000Z');
  });

  it('a start in the spring-forward gap (02:30 does not exist) opens at the jump, 03:00 EDT', () => {
    expect(next(ny('02:30', '05:00'), '2026-03-08T05:00:00.000Z')).toBe('2026-03-08T07:00:00.000Z');
  });

  it('a start in the repeated hour of fall back: its first occurrence (01:30 EDT)', () => {
    expect(next(ny('01:30', '05:00'), '2026-11-01T04:00:00.000Z')).toBe('2026-11-01T05:30:00.000Z');
  });

  it('other zones, including half-hour offsets and seconds', () => {
    const kolkata = { start: '09:00', end: '18:00', timeZone: 'Asia/Kolkata' };
    expect(next(kolkata, '2026-06-15T00:00:00.000Z')).toBe('2026-06-15T03:30:00.000Z');
    const utc = { start: '10:00:05', end: '11:00', timeZone: 'UTC' };
    expect(next(utc, '2026-06-15T10:00:01.500Z')).toBe('2026-06-15T10:00:05.000Z');
  });
});
