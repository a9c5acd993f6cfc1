/**
 * A browser stand-in for sign-in flows: a cookie jar per host and redirects followed, with the engine reached through
 * inject() at its public origin and everything else (the identity provider) over real loopback HTTP.
 */
import type { TestEngine } from './test-engine.ts';

export interface BrowserPage {
  url: URL;
  status: number;
  body: string;
}

function parseSetCookie(header: string): { name: string; value: string; expired: boolean } {
  const [pair = '', ...attributes] = header.split(';');
  const index = pair.indexOf('=');
  const name = pair.slice(0, index).trim();
  const value = pair.slice(index + 1).trim();
  const expired = attributes.some((attribute) => {
    const [key = '', raw = ''] = attribute.split('=');
    const k = key.trim().toLowerCase();
    if (k === 'max-age') return Number(raw) <= 0;
    if (k === 'expires') return new Date(raw).getTime() <= Date.now();
    return false;
  });
  return { name, value, expired: expired || value === '' };
}

export function createOidcBrowser(engine: TestEngine, engineOrigin: string) {
  const jar = new Map<string, Map<string, string>>();
  const cookiesFor = (url: URL) => jar.get(url.host) ?? jar.set(url.host, new Map()).get(url.host)!;
  const store = (url: URL, headers: string[]) => {
    for (const header of headers) {
      const cookie = parseSetCookie(header);
      if (cookie.expired) cookiesFor(url).delete(cookie.name);
      else cookiesFor(url).set(cookie.name, cookie.value);
    }
  };
  const cookieHeader = (url: URL) => [...cookiesFor(url)].map(([name, value]) => `${name}=${value}`).join('; ');

  async function once(url: URL, init: { method?: string; form?: Record<string, string> }): Promise<{ status: number; location?: string; body: string }> {
    const method = init.method ?? 'GET';
    const payload = init.form ? new URLSearchParams(init.form).toString() : undefined;
    const headers: Record<string, string> = { cookie: cookieHeader(url), ...(payload ? { 'content-type': 'application/x-www-form-urlencoded' } : {}) };
    if (url.origin === engineOrigin) {
      const response = await engine.request({ method: method as 'GET' | 'POST', url: url.pathname + url.search, headers, ...(payload ? { payload } : {}) });
      const setCookie = response.headers['set-cookie'];
      store(url, setCookie === undefined ? [] : Array.isArray(setCookie) ? setCookie : [setCookie]);
      const location = response.headers.location;
      return { status: response.statusCode, body: response.body, ...(typeof location === 'string' ? { location } : {}) };
    }
    const response = await fetch(url, { method, headers, redirect: 'manual', ...(payload ? { body: payload } : {}) });
    store(url, response.headers.getSetCookie());
    const location = response.headers.get('location');
    return { status: response.status, body: await response.text(), ...(location ? { location } : {}) };
  }

  return {
    cookies: (origin: string) => Object.fromEntries(cookiesFor(new URL(origin))),
    /** Keeps the Set-Cookie headers of a response the test received itself (an API call made from this browser's page). */
    keepCookies(origin: string, setCookie: string | string[] | undefined) {
      store(new URL(origin), setCookie === undefined ? [] : Array.isArray(setCookie) ? setCookie : [setCookie]);
    },
    /** Loads a URL and follows redirects (303/302 turn a POST into a GET, as browsers do). */
    async visit(start: string, init: { method?: string; form?: Record<string, string> } = {}): Promise<BrowserPage> {
      let url = new URL(start, engineOrigin);
      let request = init;
      for (let hop = 0; hop < 20; hop++) {
        const response = await once(url, request);
        if (response.status >= 300 && response.status < 400 && response.location) {
          url = new URL(response.location, url);
          request = {};
          continue;
        }
        return { url, status: response.status, body: response.body };
      }
      throw new Error(`too many redirects from ${start}`);
    },
    /** Submits the page's first form with these fields (hidden inputs kept), as a person pressing its button. */
    async submitForm(page: BrowserPage, fields: Record<string, string>): Promise<BrowserPage> {
      const form = /<form[^>]*action="([^"]*)"[^>]*>([\s\S]*?)<\/form>/i.exec(page.body);
      if (!form) throw new Error(`no form on ${page.url.href}: ${page.body.slice(0, 300)}`);
      const hidden: Record<string, string> = {};
      for (const input of form[2]!.matchAll(/<input[^>]*type="hidden"[^>]*>/gi)) {
        const name = /name="([^"]*)"/.exec(input[0])?.[1];
        const value = /value="([^"]*)"/.exec(input[0])?.[1] ?? '';
        if (name) hidden[name] = value;
      }
      return this.visit(new URL(form[1]!.replace(/&amp;/g, '&'), page.url).href, { method: 'POST', form: { ...hidden, ...fields } });
    },
  };
}
