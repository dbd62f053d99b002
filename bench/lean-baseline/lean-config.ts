/** What the lean baseline is configured with (from its environment: lean-main.ts). */
export interface LeanConfig {
  port: number;
  mongodbUri: string;
  plivoApiUrl: string;
  authId: string;
  authToken: string;
  senderNumber: string;
  /** The keys of API_KEYS (`name:key,…`). */
  apiKeys: string[];
  throttleLimit: number;
  throttleTtlMs: number;
  logLevel: string;
}

/** The DI token of the LeanConfig. */
export const LEAN_CONFIG = Symbol('LEAN_CONFIG');
