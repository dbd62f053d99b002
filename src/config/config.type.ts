import type { AppConfig } from './app.config';
import type { CampaignMonitorConfig } from './campaign-monitor.config';
import type { ClientsConfig } from './clients.config';
import type { DatabaseConfig } from './database.config';
import type { DispatchConfig } from './dispatch.config';
import type { HttpConfig } from './http.config';
import type { OptOutsConfig } from './opt-outs.config';
import type { PendingReconcilerConfig } from './pending-reconciler.config';
import type { PlivoConfig } from './plivo.config';
import type { SendConfig } from './send.config';
import type { SendersConfig } from './senders.config';
import type { StatusCallbacksConfig } from './status-callbacks.config';

/** The shape read through `ConfigService<AllConfig, true>` with `{ infer: true }`. */
export interface AllConfig {
  app: AppConfig;
  plivo: PlivoConfig;
  database: DatabaseConfig;
  http: HttpConfig;
  clients: ClientsConfig;
  send: SendConfig;
  optOuts: OptOutsConfig;
  statusCallbacks: StatusCallbacksConfig;
  dispatch: DispatchConfig;
  senders: SendersConfig;
  pendingReconciler: PendingReconcilerConfig;
  campaignMonitor: CampaignMonitorConfig;
}
