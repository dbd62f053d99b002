/**
 * Rates of requests as they arrived at the simulator (its `requests[].at`): the mean from the
 * first to the last, the gaps between consecutive ones, and the most that fell in any window of
 * N seconds (half-open windows slid over every arrival: the busiest window starts at one).
 */
import { round } from './stats';

export interface WindowMax {
  seconds: number;
  /** The most arrivals in any [t, t + N s). */
  max: number;
  /** The shortest time (ms) spanned by rate·N + 1 consecutive arrivals (≥ N s: never above). */
  shortestSpanMs?: number;
}

export interface ArrivalStats {
  count: number;
  /** First to last arrival (s). */
  spanS: number;
  /** (count − 1) / span: arrivals per second. */
  ratePerS: number;
  gapMs: { min: number; p1: number; p50: number; max: number };
  /** Gaps longer than 1.5 intervals at `rate` (a slot nobody used); 0 when no rate is given. */
  longGaps: number;
  windows: WindowMax[];
}

/** Arrival times (ms, ascending) → their rate, gaps and busiest windows at `rate` per second. */
export function arrivalStats(times: number[], rate: number, windowsS: number[]): ArrivalStats {
  const n = times.length;
  const spanMs = n > 1 ? times[n - 1] - times[0] : 0;
  const gaps = times
    .slice(1)
    .map((t, i) => t - times[i])
    .sort((a, b) => a - b);
  const at = (q: number) =>
    gaps[Math.min(gaps.length - 1, Math.max(0, Math.ceil(q * gaps.length) - 1))];
  return {
    count: n,
    spanS: round(spanMs / 1000, 3),
    ratePerS: spanMs > 0 ? round(((n - 1) * 1000) / spanMs, 3) : 0,
    gapMs: gaps.length
      ? { min: gaps[0], p1: at(0.01), p50: at(0.5), max: gaps[gaps.length - 1] }
      : { min: NaN, p1: NaN, p50: NaN, max: NaN },
    longGaps: rate > 0 ? gaps.filter((g) => g > 1500 / rate).length : 0,
    windows: windowsS.map((s) => windowMax(times, s, rate)),
  };
}

function windowMax(times: number[], seconds: number, rate: number): WindowMax {
  const widthMs = seconds * 1000;
  let max = 0;
  for (let i = 0, j = 0; i < times.length; i++) {
    while (j < times.length && times[j] < times[i] + widthMs) j++;
    max = Math.max(max, j - i);
  }
  const allowed = Math.floor(rate * seconds);
  let shortest: number | undefined;
  for (let i = 0; i + allowed < times.length; i++) {
    const span = times[i + allowed] - times[i];
    shortest = shortest === undefined ? span : Math.min(shortest, span);
  }
  return { seconds, max, shortestSpanMs: shortest };
}

/** Requests per second from the first to the last of `times` (ms). */
export function ratePerSecond(times: number[]): number {
  const n = times.length;
  return n > 1 && times[n - 1] > times[0] ? ((n - 1) * 1000) / (times[n - 1] - times[0]) : 0;
}
