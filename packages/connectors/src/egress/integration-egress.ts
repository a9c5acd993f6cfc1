/**
 * Requests to the URLs an admin configures (webhooks, Slack, Jenkins — the engine's and this server's Jenkins tools) connect only to an address the URL guard
 * accepted. Why: checking a URL resolves its host name once, and a plain `fetch` resolves it again; a name that
 * answers a private address to the check and 169.254.169.254 to the request (DNS rebinding, a TTL of 0) would reach
 * the cloud's metadata service with the integration's token. Here the connection's own DNS lookup runs the guard's
 * rule on every address it returns, so the address checked is the address connected to; a forbidden answer fails
 * the request before any socket opens.
 *
 * IP literals never reach a lookup: they are checked by the guard before the request. Redirects are never followed
 * here (a Location naming a literal metadata address would skip the lookup); callers that follow one (the Jenkins
 * client) send each hop through this fetch again.
 */
import type { LookupAddress } from 'node:dns';
import type { LookupFunction } from 'node:net';
import type { Agent } from 'undici';
import { createIntegrationUrlGuard, isForbiddenAddress, refusalOf, resolveWithDns, type CheckIntegrationUrl, type ResolveHost } from './integration-url-guard.ts';

/** A URL (or what its name resolved to when connecting) that integrations may not use. */
export class IntegrationUrlRefusedError extends Error {
  readonly code = 'INTEGRATION_URL_REFUSED';
  override name = 'IntegrationUrlRefusedError';
}

/** The forbidden address a lookup met; the fetch turns it into the guard's message for the whole URL. */
class ForbiddenLookupAnswer extends Error {
  constructor(readonly address: string) {
    super(`resolves to ${address}, a link-local or cloud metadata address`);
  }
}

export interface IntegrationEgress {
  /** the guard: why a URL may not be used, or undefined (for saving and listing, before any request) */
  checkUrl: CheckIntegrationUrl;
  /** fetch whose connections go only to guard-approved addresses; rejects with IntegrationUrlRefusedError */
  fetch: typeof fetch;
  /** starts loading the HTTP client in the background (a run began: a notification may follow) */
  warm(): void;
  /** closes the kept-alive connections */
  close(): Promise<void>;
}

export function createIntegrationEgress(options: { resolve?: ResolveHost } = {}): IntegrationEgress {
  const resolve = options.resolve ?? resolveWithDns;
  const checkUrl = createIntegrationUrlGuard({ resolve });

  // node:net calls this for every connection to a host name (with `all: true` when it may try several addresses).
  const pinnedLookup: LookupFunction = (hostname, lookupOptions, callback) => {
    const family = lookupOptions.family === 4 || lookupOptions.family === 'IPv4' ? 4 : lookupOptions.family === 6 || lookupOptions.family === 'IPv6' ? 6 : 0;
    resolve(hostname).then(
      (answers) => {
        // Any forbidden answer refuses the name, as the guard does: which address a client tries first is not ours.
        const forbidden = answers.find((answer) => isForbiddenAddress(answer.address));
        if (forbidden) return callback(new ForbiddenLookupAnswer(forbidden.address), '', 0);
        const usable: LookupAddress[] = answers.filter((answer) => family === 0 || answer.family === family);
        if (usable.length === 0) return callback(Object.assign(new Error(`${hostname} has no address`), { code: 'ENOTFOUND' }), '', 0);
        if (lookupOptions.all) return (callback as unknown as (error: null, addresses: LookupAddress[]) => void)(null, usable);
        return callback(null, usable[0]!.address, usable[0]!.family);
      },
      (error: NodeJS.ErrnoException) => callback(error, '', 0),
    );
  };

  // undici loads on the first request: most engines never call an integration, and start-up time is measured.
  let agent: Promise<{ agent: Agent; fetch: typeof import('undici').fetch }> | undefined;
  const loadAgent = () => {
    if (!agent) {
      agent = import('undici').then((undici) => ({ agent: new undici.Agent({ connect: { lookup: pinnedLookup } }), fetch: undici.fetch }));
      // a failed load is not remembered: the next request tries again
      agent.catch(() => (agent = undefined));
    }
    return agent;
  };

  const guardedFetch = async (input: Parameters<typeof fetch>[0], init?: Parameters<typeof fetch>[1]): Promise<Response> => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    const problem = await checkUrl(url.toString());
    if (problem) throw new IntegrationUrlRefusedError(problem);
    const undici = await loadAgent();
    try {
      const response = await undici.fetch(url, { ...(init as object), redirect: 'manual', dispatcher: undici.agent } as Parameters<typeof undici.fetch>[1]);
      return response as unknown as Response;
    } catch (error) {
      const cause = error instanceof Error ? error.cause : undefined;
      if (cause instanceof ForbiddenLookupAnswer) throw new IntegrationUrlRefusedError(refusalOf(url, cause.address));
      throw error;
    }
  };

  return {
    checkUrl,
    fetch: guardedFetch as typeof fetch,
    warm() {
      if (!agent) loadAgent().catch(() => undefined);
    },
    async close() {
      if (agent) await (await agent).agent.close();
    },
  };
}
