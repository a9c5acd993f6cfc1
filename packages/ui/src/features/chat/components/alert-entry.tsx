/**
 * An alert investigation's alert (issue 37 item 9), shown where a user's message would be: what fired, its labels,
 * annotations and links (runbook_url, the rule's generatorURL). The engine's instruction to the model is not shown.
 * Repeat notifications add lines under it (issue 78: "Fired again: the same 3 alerts firing"), and a group larger
 * than the card says how many of its alerts were left out.
 */
import type { AlertCard } from '@skyflo/protocol';

export function AlertEntry({ alert }: { alert: AlertCard }) {
  const labels = Object.entries(alert.labels);
  const annotations = Object.entries(alert.annotations);
  return (
    <section className="rounded-xl border border-border bg-panel px-4 py-3 text-[0.92rem]" data-testid="alert-entry" aria-label={`Alert ${alert.title}`}>
      <header className="flex flex-wrap items-center gap-2">
        <span className="rounded bg-danger/10 px-1.5 py-0.5 text-xs font-semibold uppercase text-danger">Alert</span>
        <span className="font-semibold">{alert.title}</span>
        <span className="text-xs text-muted">
          {alert.status}
          {alert.count > 1 ? ` · ${alert.count} alerts` : ''}
          {alert.truncated_alerts ? ` (the first ${alert.count - alert.truncated_alerts} shown to the investigation)` : ''} · from {alert.receiver}
        </span>
      </header>
      {annotations.length > 0 ? (
        <dl className="mt-2 space-y-1">
          {annotations.map(([key, value]) => (
            <div key={key} className="break-words">
              <dt className="inline text-muted">{key}: </dt>
              <dd className="inline whitespace-pre-wrap">{value}</dd>
            </div>
          ))}
        </dl>
      ) : null}
      {labels.length > 0 ? (
        <ul className="mt-2 flex flex-wrap gap-1" aria-label="Labels">
          {labels.map(([key, value]) => (
            <li key={key} className="break-all rounded bg-accent/10 px-1.5 py-0.5 font-mono text-xs">
              {key}={value}
            </li>
          ))}
        </ul>
      ) : null}
      {alert.links.length > 0 ? (
        <ul className="mt-2 flex flex-wrap gap-3 text-xs" aria-label="Links">
          {alert.links.map((link) => (
            <li key={link.url}>
              <a className="text-accent underline" href={link.url} target="_blank" rel="noreferrer noopener">
                {link.label}
              </a>
            </li>
          ))}
        </ul>
      ) : null}
      {alert.notes?.length ? (
        <ol className="mt-2 space-y-0.5 border-t border-border pt-2 text-xs text-muted" aria-label="Since then" data-testid="alert-notes">
          {alert.notes.map((note, index) => (
            <li key={index}>
              <time dateTime={new Date(note.at).toISOString()}>{new Date(note.at).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })}</time> {note.text}
            </li>
          ))}
        </ol>
      ) : null}
    </section>
  );
}
