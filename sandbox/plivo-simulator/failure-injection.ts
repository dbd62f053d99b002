/**
 * Failure injection for the Send Message route: queued plans (HTTP errors, timeouts, resets,
 * the ambiguous "accepted but never answered" case, slow answers) and extra latency.
 */
import { randomUUID } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import type { Outcome } from './http-utils';

/** Answer with this status instead of processing the request. */
export interface StatusFailurePlan {
  status: number;
  /** Default `{api_id, error: <reason phrase>}`; a string is sent as text/html (non-JSON 5xx pages). */
  body?: unknown;
  headers?: Record<string, string>;
  delayMs?: number;
}

export interface ModeFailurePlan {
  /**
   * - `timeout`: read the request, never answer (socket held until the client gives up or stop()).
   * - `reset`: destroy the socket after reading the body, without answering.
   * - `accept-then-hang`: create the message (uuid, callbacks) but never answer: ambiguous outcome.
   */
  mode: 'timeout' | 'reset' | 'accept-then-hang';
  delayMs?: number;
}

/** A slow but otherwise normal answer. */
export interface DelayPlan {
  delayMs: number;
}

export type FailurePlan = StatusFailurePlan | ModeFailurePlan | DelayPlan;

/** The queue of failure plans and the added latency; one plan is consumed per Message request. */
export class FailureInjector {
  private plans: FailurePlan[] = [];
  private latencyMs = 0;

  /** Queue `plan` for the next `times` Message requests. */
  failNext(plan: FailurePlan, times = 1): void {
    for (let i = 0; i < times; i++) this.plans.push(plan);
  }

  setLatency(ms: number): void {
    this.latencyMs = ms;
  }

  /** Forgets queued plans and latency. */
  reset(): void {
    this.plans = [];
    this.latencyMs = 0;
  }

  /** The plan for this Message request, if one is queued. */
  take(): FailurePlan | undefined {
    return this.plans.shift();
  }

  /** How long to wait before answering under `plan` (latency included). */
  delayMs(plan: FailurePlan | undefined): number {
    return this.latencyMs + (plan?.delayMs ?? 0);
  }

  /**
   * What to answer under `plan`. `process` handles the request normally (and may create the
   * message); it is not called when the plan replaces the answer without reaching Plivo.
   */
  decide(plan: FailurePlan | undefined, process: () => Outcome): Outcome {
    // Injected transport failures win over everything: they model the network or Plivo's edge.
    if (plan && 'status' in plan) return planAnswer(plan);
    if (plan && 'mode' in plan && plan.mode !== 'accept-then-hang') return { kind: plan.mode };

    const outcome = process();
    // The ambiguous case: the message exists (uuid, callbacks) but the client never learns it.
    if (plan && 'mode' in plan) return { kind: 'timeout' };
    return outcome;
  }
}

function planAnswer(plan: StatusFailurePlan): Outcome {
  const body =
    plan.body !== undefined
      ? plan.body
      : { api_id: randomUUID(), error: STATUS_CODES[plan.status] ?? 'error' };
  return { kind: 'answer', status: plan.status, body, headers: plan.headers };
}
