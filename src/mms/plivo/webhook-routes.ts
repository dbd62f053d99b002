/**
 * Where Plivo calls this service back: status callbacks (the `url` of each send) and inbound
 * messages (an application's `message_url`). One definition for the webhook controller, the
 * send path's callback URL, the request guards, the sandbox and the tests.
 */
const PREFIX = '/webhooks/';

export const PLIVO_WEBHOOK_ROUTES = {
  /** Every webhook route starts with this; the request guards treat them as Plivo's. */
  prefix: PREFIX,
  status: `${PREFIX}plivo/status`,
  inbound: `${PREFIX}plivo/inbound`,
} as const;
