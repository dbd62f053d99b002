/** Quiet hours: `start` and `end` are HH:MM (or HH:MM:SS) of the wall clock in `timeZone`. */
export interface WindowSpec {
  start: string;
  end: string;
  timeZone: string;
}

const DAY_MS = 86_400_000;
/** Far enough from a wall time to read the zone's offset on either side of a change that day. */
const HALF_DAY_MS = 43_200_000;
const HOUR_MS = 3_600_000;
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterOf(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

/** The wall clock at `at` in `timeZone`: its date (as UTC midnight, ms) and its second of day. */
function wallClock(at: number, timeZone: string): { dayMs: number; second: number } {
  const parts: Record<string, number> = {};
  for (const p of formatterOf(timeZone).formatToParts(new Date(at)))
    if (p.type !== 'literal') parts[p.type] = Number(p.value);
  return {
    dayMs: Date.UTC(parts.year, parts.month - 1, parts.day),
    second: parts.hour * 3600 + parts.minute * 60 + parts.second,
  };
}

/** Seconds since local midnight of "HH:MM" or "HH:MM:SS". */
export function secondOfDay(hhmm: string): number {
  const [h, m, s = 0] = hhmm.split(':').map(Number);
  return h * 3600 + m * 60 + s;
}

/** Whether `second` (of the local day) is inside [start, end), across midnight when end < start. */
function inside(second: number, start: number, end: number): boolean {
  return start < end ? second >= start && second < end : second >= start || second < end;
}

/** Whether messages may go at `at`. */
export function isInsideWindow(window: WindowSpec, at: Date): boolean {
  const { second } = wallClock(at.getTime(), window.timeZone);
  return inside(second, secondOfDay(window.start), secondOfDay(window.end));
}

/**
 * The first instant at or after `at` when the window is open: `at` itself when it is, else the
 * next time the wall clock in the zone reads `start`. DST-safe: the wall time is turned into an
 * instant with the zone's offset read at that instant (both offsets of a changing day are
 * tried, the earliest fitting one taken), and a start inside a spring-forward gap opens at the
 * jump (the first instant whose wall clock is past the start).
 */
export function nextWindowStart(window: WindowSpec, at: Date): Date {
  const now = Math.floor(at.getTime() / 1000) * 1000;
  const start = secondOfDay(window.start);
  const end = secondOfDay(window.end);
  const { dayMs, second } = wallClock(now, window.timeZone);
  if (inside(second, start, end)) return at;
  for (let day = -1; day <= 2; day++) {
    const wall = dayMs + day * DAY_MS + start * 1000;
    const fitting = candidatesFor(wall, window.timeZone).filter((t) => t >= now);
    if (fitting.length > 0) return new Date(Math.min(...fitting));
  }
  // Unreachable for a real zone (an offset changes by less than a day).
  throw new Error(`No window start found for ${window.start} in ${window.timeZone}`);
}

/** Instants whose wall clock in `timeZone` reads `wall` (UTC-coded), or the jump over it. */
function candidatesFor(wall: number, timeZone: string): number[] {
  const found = new Set<number>();
  for (const probe of [wall - HALF_DAY_MS, wall + HALF_DAY_MS]) {
    const t = wall - offsetAt(probe, timeZone);
    const local = wallClock(t, timeZone);
    if (local.dayMs + local.second * 1000 === wall) found.add(t);
  }
  if (found.size > 0) return [...found];
  // In a gap (the clock jumps over `wall`): the window opens at the jump, the first instant
  // whose wall clock is past it. The two offsets bracket it; searched to the second.
  let lo = wall - offsetAt(wall - HALF_DAY_MS, timeZone) - 3 * HOUR_MS;
  let hi = wall - offsetAt(wall + HALF_DAY_MS, timeZone) + 3 * HOUR_MS;
  while (hi - lo > 1000) {
    const mid = Math.floor((lo + hi) / 2000) * 1000;
    const local = wallClock(mid, timeZone);
    if (local.dayMs + local.second * 1000 >= wall) hi = mid;
    else lo = mid;
  }
  return [hi];
}

/** The zone's offset (ms, east positive) at instant `t`. */
function offsetAt(t: number, timeZone: string): number {
  const local = wallClock(t, timeZone);
  return local.dayMs + local.second * 1000 - Math.floor(t / 1000) * 1000;
}
