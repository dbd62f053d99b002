import { Agent } from 'node:http';
import { createRequire } from 'node:module';

/**
 * The Plivo SDK (4.x) sends through axios's default agents, which it sets itself on load:
 * keep-alive, at most 100 sockets per host, but at most 20 of them kept while idle. With more
 * than 20 sends in flight the sockets beyond 20 are closed as soon as they are idle and opened
 * again for the next sends (a TCP and, to Plivo, a TLS handshake each). Keeps as many idle as
 * the agent may open. The axios is the one the SDK itself loads (resolved from the SDK).
 */
export function keepSdkSocketsAlive(): void {
  const sdkAxios = createRequire(require.resolve('plivo'))('axios') as {
    defaults: { httpAgent?: unknown; httpsAgent?: unknown };
  };
  for (const agent of [sdkAxios.defaults.httpAgent, sdkAxios.defaults.httpsAgent]) {
    if (agent instanceof Agent && Number.isFinite(agent.maxSockets))
      agent.maxFreeSockets = agent.maxSockets;
  }
}
