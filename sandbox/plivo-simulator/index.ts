/** The Plivo simulator's public API; see simulator.ts. */
export {
  PlivoSimulator,
  type PlivoSimulatorOptions,
  type RecordedRequest,
  type RecordedResponse,
} from './simulator';
export type { CallbackAttempt, CallbackStatus } from './callbacks';
export type {
  DelayPlan,
  FailurePlan,
  ModeFailurePlan,
  StatusFailurePlan,
} from './failure-injection';
export type { InboundMessage } from './inbound';
export { PLIVO_RATES, QUEUE_EXPIRED_ERROR, type Departure, type RateLimits } from './rate-queue';
export type { OutboundMessage } from './send-api';
export {
  StatusReceiver,
  verifyStatusCallbackSignature,
  type ReceivedCallback,
  type StatusReceiverOptions,
} from './status-receiver';
