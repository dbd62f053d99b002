import { Injectable } from '@nestjs/common';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** status_callback_events_total's outcomes (callback-worker.ts counts each attempt as one). */
export const CALLBACK_OUTCOMES = ['delivered', 'retried', 'stopped', 'abandoned'] as const;
export type CallbackOutcome = (typeof CALLBACK_OUTCOMES)[number];

/**
 * Prometheus metrics on a registry of our own (not prom-client's global one), so two app
 * instances in one process (the tests) never collide.
 */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();

  readonly httpRequests = new Counter({
    name: 'http_requests_total',
    help: 'HTTP requests by method, route and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [this.registry],
  });

  readonly httpDuration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request latency by method, route and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20],
    registers: [this.registry],
  });

  readonly messages = new Counter({
    name: 'mms_messages_total',
    help: 'Send outcomes: queued, scheduled (held by the gateway), failed, unknown, canceled, expired or refused (opted-out), by reason and client id',
    labelNames: ['outcome', 'reason', 'client'] as const,
    registers: [this.registry],
  });

  // Per sender number: the numbers are configured (SENDER_NUMBERS, PLIVO_SENDER_NUMBER), so the
  // label's values are bounded.
  readonly senderMessages = new Counter({
    name: 'mms_sender_messages_total',
    help: 'Messages per sender number by outcome: queued (Plivo accepted it), scheduled (held by the gateway), not-queued (failed, unknown or refused at hand-over)',
    labelNames: ['sender', 'outcome'] as const,
    registers: [this.registry],
  });

  readonly senderChoices = new Counter({
    name: 'mms_sender_choices_total',
    help: 'Sends per sender number by how the number was chosen: requested, only, sticky, area-code, soonest',
    labelNames: ['sender', 'choice'] as const,
    registers: [this.registry],
  });

  readonly campaignMessages = new Counter({
    name: 'mms_campaign_messages_total',
    help: 'Campaign recipients at creation by outcome: created (a message written), opted-out, duplicate or invalid (dropped), by client id',
    labelNames: ['outcome', 'client'] as const,
    registers: [this.registry],
  });

  readonly campaignTransitions = new Counter({
    name: 'mms_campaign_transitions_total',
    help: 'Campaigns entering a status: creating, scheduled, running, paused, canceled, completed',
    labelNames: ['status'] as const,
    registers: [this.registry],
  });

  readonly dispatchBacklog = new Gauge({
    name: 'mms_dispatch_backlog',
    help: 'Messages the gateway holds (scheduled), by sender number, as a replica last counted them',
    labelNames: ['sender'] as const,
    registers: [this.registry],
  });

  readonly dispatchOldestDue = new Gauge({
    name: 'mms_dispatch_oldest_due_seconds',
    help: 'How long the most overdue scheduled message has been due (0: none overdue)',
    registers: [this.registry],
  });

  readonly dispatchLag = new Histogram({
    name: 'mms_dispatch_lag_seconds',
    help: 'From a held message being due (its sendAt or pacing slot) to its hand-over to Plivo, by sender number',
    labelNames: ['sender'] as const,
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300],
    registers: [this.registry],
  });

  readonly webhookEvents = new Counter({
    name: 'plivo_webhook_events_total',
    help: 'Plivo webhooks by kind, status and verdict (accepted, forged, invalid)',
    labelNames: ['kind', 'status', 'verdict'] as const,
    registers: [this.registry],
  });

  readonly optOutChanges = new Counter({
    name: 'opt_out_changes_total',
    help: 'Opt-outs and opt-ins that changed the list, by action and source (keyword, callback-error-200, api)',
    labelNames: ['action', 'source'] as const,
    registers: [this.registry],
  });

  readonly optOutReplies = new Counter({
    name: 'opt_out_replies_total',
    help: 'Automatic replies to STOP/START/HELP by kind and outcome (sent, failed, throttled, suppressed, off; unchanged: none, the keyword changed nothing)',
    labelNames: ['kind', 'outcome'] as const,
    registers: [this.registry],
  });

  readonly plivoCalls = new Histogram({
    name: 'plivo_api_call_duration_seconds',
    help: 'Latency of Plivo API calls by outcome (ok or failure class)',
    labelNames: ['outcome'] as const,
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 20],
    registers: [this.registry],
  });

  readonly callbackEvents = new Counter({
    name: 'status_callback_events_total',
    help: 'Status callback attempts to clients by outcome: delivered (2xx), retried (failed, tried again later), stopped (answered 410), abandoned (failed past STATUS_CALLBACK_MAX_AGE_MS)',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  readonly callbackLatency = new Histogram({
    name: 'status_callback_delivery_seconds',
    help: 'From a status change to its callback answered 2xx by the client (retries included)',
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600, 14400, 86400],
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
    // Every outcome exported at 0 from the start: increase() and rate() see a series' first
    // increment only against an earlier sample, and the alerts compare outcomes with each other.
    for (const outcome of CALLBACK_OUTCOMES) this.callbackEvents.inc({ outcome }, 0);
  }
}
