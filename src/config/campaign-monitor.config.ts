import { IsInt, IsOptional, Max, Min } from 'class-validator';
import { Environment, validateConfig } from './validate-config';

const DAY_MS = 86_400_000;

class CampaignMonitorEnv {
  @IsOptional()
  @IsInt()
  @Min(50)
  @Max(600_000)
  CAMPAIGN_MONITOR_INTERVAL_MS?: number;

  @IsOptional()
  @IsInt()
  @Min(1000)
  @Max(7 * DAY_MS)
  CAMPAIGN_CREATING_TIMEOUT_MS?: number;
}

/** The campaign monitor (docs/dispatch.md "Campaigns"): completion, its event, creations that died. */
export interface CampaignMonitorConfig {
  /** How often each running campaign is looked at (and how often each replica polls). */
  intervalMs: number;
  /** A campaign still `creating` this long after its request began is canceled (or finished). */
  creatingTimeoutMs: number;
}

export function buildCampaignMonitorConfig(env: Environment): CampaignMonitorConfig {
  const valid = validateConfig(env, CampaignMonitorEnv);
  return {
    intervalMs: valid.CAMPAIGN_MONITOR_INTERVAL_MS ?? 2000,
    creatingTimeoutMs: valid.CAMPAIGN_CREATING_TIMEOUT_MS ?? 15 * 60_000,
  };
}
