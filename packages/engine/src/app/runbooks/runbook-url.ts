/**
 * Alertmanager's `runbook_url` annotation, followed only to a configured source: a file under RUNBOOKS_DIR (a
 * relative path, a `file://` URL inside it) or an uploaded runbook named by the URL's path (the Command Center's
 * `/settings/runbooks/<name>` link, or the API's `/api/v1/runbooks/<name>`). The engine never fetches the URL: a link
 * to any other place (another host's wiki, an internal address) is not followed at all, so an alert cannot make the
 * engine reach into the network. Pure: answers the runbook name the URL designates, or undefined.
 */
import path from 'node:path';

const linkPrefixes = ['/api/v1/runbooks/', '/settings/runbooks/', '/runbooks/'];

export function runbookNameFromUrl(url: string, known: ReadonlySet<string>, directory?: string): string | undefined {
  const byName = (name: string) => (known.has(name) ? name : known.has(`${name}.md`) ? `${name}.md` : undefined);
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    parsed = undefined;
  }
  if (!parsed) {
    // a relative path: inside RUNBOOKS_DIR, never above it
    const relative = path.posix.normalize(url.replace(/^\.\//, ''));
    return relative.startsWith('..') || relative.startsWith('/') ? undefined : byName(relative);
  }
  if (parsed.protocol === 'file:') {
    if (!directory) return undefined;
    const relative = path.relative(path.resolve(directory), path.resolve(decodeURIComponent(parsed.pathname)));
    return relative.startsWith('..') || path.isAbsolute(relative) ? undefined : byName(relative.split(path.sep).join('/'));
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return undefined;
  const pathname = decodeURIComponent(parsed.pathname);
  for (const prefix of linkPrefixes) {
    const at = pathname.indexOf(prefix);
    if (at >= 0) return byName(pathname.slice(at + prefix.length));
  }
  return undefined;
}
