import type { Agent } from 'node:http';
import type { PipelinePolicy } from '@azure/core-rest-pipeline';

// The fields of https-proxy-agent's HttpsProxyAgent this policy relies on (read by shape: the SDK owns the class).
interface ProxyAgent extends Agent {
  readonly proxy: URL;
  readonly keepAlive?: boolean;
  isSecureEndpoint(options?: unknown): boolean;
}
type ProxyAgentClass = new (proxy: URL, options: { keepAlive: boolean }) => ProxyAgent;

/**
 * Keeps the tunnel through `HTTPS_PROXY` open between reads.
 *
 * The SDK's proxy policy (which also applies `NO_PROXY`) gives each request a proxy agent without
 * keep-alive: every read then opens a new CONNECT tunnel and a new TLS session, which costs a
 * round trip, CPU, and memory that the allocator does not give back. This policy, placed after it,
 * swaps that agent for a keep-alive twin to the same proxy. Without a proxy nothing changes: the
 * SDK's direct agent already keeps connections alive.
 */
export function keepAliveProxyPolicy(): PipelinePolicy {
  const twins = new WeakMap<Agent, ProxyAgent>();
  return {
    name: 'keepAliveProxyPolicy',
    sendRequest(request, next) {
      const agent = request.agent as ProxyAgent | undefined;
      // Recognised by shape, not by class name: a bundler may rename the class.
      if (
        request.url.startsWith('https:') &&
        agent?.proxy instanceof URL &&
        typeof agent.isSecureEndpoint === 'function' &&
        !agent.keepAlive
      ) {
        let twin = twins.get(agent);
        if (!twin) {
          twin = new (agent.constructor as ProxyAgentClass)(agent.proxy, { keepAlive: true });
          // The agent names its socket pool by guessing http or https on each call, from the call stack
          // when the options do not say (the SDK's do not): a socket is then pooled under the http name
          // and looked up under the https one, and never reused. This agent only carries https requests.
          twin.isSecureEndpoint = () => true;
          twins.set(agent, twin);
        }
        request.agent = twin;
      }
      return next(request);
    },
  };
}
