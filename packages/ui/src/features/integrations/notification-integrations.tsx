/**
 * The notification integrations on the Integrations page: outgoing webhooks (URL, events, each delivery's status
 * and attempts from GET /integrations/:id/deliveries). Admins add and delete them. Slack: slack-integration.tsx.
 */
import { webhookEvents, type CreateWebhookRequest, type WebhookIntegration } from '@skyflo/protocol';
import { useMutation, useQuery } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { skyflo } from '../../lib/api.ts';
import { Badge, Button, ErrorNote, Field, Input } from '../../components/ui.tsx';
import { StatusBadge } from './status-badge.tsx';

const tone = { delivered: 'ok', pending: 'warn', failed: 'danger' } as const;

export function WebhookCard({ webhook, admin, onChanged }: { webhook: WebhookIntegration; admin: boolean; onChanged: () => void }) {
  const deliveries = useQuery({ queryKey: ['integrations', webhook.id, 'deliveries'], queryFn: () => skyflo.webhookDeliveries(webhook.id) });
  const remove = useMutation({ mutationFn: () => skyflo.deleteIntegration(webhook.id), onSuccess: onChanged });
  return (
    <li className="rounded-lg border border-border bg-panel p-4" aria-label={`Webhook ${webhook.name}`} data-testid="webhook-card">
      <div className="flex flex-wrap items-center gap-2">
        <span className="font-semibold">{webhook.name}</span>
        <Badge tone="accent">Webhook</Badge>
        <StatusBadge status={webhook.status} />
        {admin ? (
          <Button variant="ghost" size="sm" className="ml-auto" onClick={() => remove.mutate()} aria-label={`Delete webhook ${webhook.name}`}>
            Delete
          </Button>
        ) : null}
      </div>
      <p className="mt-1 break-all text-sm text-muted">
        {webhook.metadata.url} · {webhook.metadata.events.join(', ')} · secret …{webhook.credentials.secret_last4}
      </p>
      <h3 className="mt-3 text-sm font-medium">Recent deliveries</h3>
      {deliveries.data && deliveries.data.data.length === 0 ? <p className="text-sm text-muted">None yet.</p> : null}
      {deliveries.isError ? <ErrorNote>{deliveries.error.message}</ErrorNote> : null}
      <table className="mt-1 w-full text-left text-sm">
        <thead className="text-xs text-muted">
          <tr>
            <th className="py-1">Event</th>
            <th>Status</th>
            <th>Attempts</th>
            <th>Answer</th>
            <th>Sent</th>
          </tr>
        </thead>
        <tbody>
          {(deliveries.data?.data ?? []).map((delivery) => (
            <tr key={delivery.id} className="border-t border-border" data-testid="webhook-delivery">
              <td className="py-1">{delivery.event}</td>
              <td>
                <Badge tone={tone[delivery.status]}>{delivery.status}</Badge>
              </td>
              <td>{delivery.attempts}</td>
              <td>{delivery.response_status ?? delivery.last_error ?? '—'}</td>
              <td>{new Date(delivery.created_at).toLocaleString()}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </li>
  );
}

export function AddWebhookForm({ onCreated }: { onCreated: () => void }) {
  const [error, setError] = useState<string>();
  const create = useMutation({
    mutationFn: (body: CreateWebhookRequest) => skyflo.createIntegration(body),
    onSuccess: () => {
      setError(undefined);
      onCreated();
    },
    onError: (caught) => setError(caught instanceof Error ? caught.message : String(caught)),
  });
  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    create.mutate({
      provider: 'webhook',
      name: String(form.get('name') ?? ''),
      metadata: { url: String(form.get('url') ?? ''), events: webhookEvents.filter((name) => form.get(`event-${name}`) === 'on') },
      credentials: { secret: String(form.get('secret') ?? '') },
    });
  }
  return (
    <section className="rounded-lg border border-border bg-panel p-5" aria-label="Add webhook">
      <h2 className="font-semibold">Add webhook</h2>
      <p className="mb-4 mt-0.5 text-sm text-muted">Team events are POSTed as JSON, signed with HMAC-SHA256 of the timestamp and body in X-Skyflo-Signature (t=…,v1=…).</p>
      <form onSubmit={submit} className="grid grid-cols-1 gap-3 md:grid-cols-2">
        <Field label="Name" htmlFor="hook-name">
          <Input id="hook-name" name="name" required placeholder="pager" />
        </Field>
        <Field label="URL" htmlFor="hook-url">
          <Input id="hook-url" name="url" type="url" required placeholder="https://hooks.example.com/skyflo" />
        </Field>
        <Field label="Signing secret (16+ characters)" htmlFor="hook-secret">
          <Input id="hook-secret" name="secret" type="password" required minLength={16} />
        </Field>
        <fieldset className="md:col-span-2">
          <legend className="text-sm font-medium">Events</legend>
          <div className="mt-1 flex flex-wrap gap-3">
            {webhookEvents.map((name) => (
              <label key={name} className="flex items-center gap-1.5 text-sm">
                <input type="checkbox" name={`event-${name}`} defaultChecked={name.startsWith('approval.')} /> {name}
              </label>
            ))}
          </div>
        </fieldset>
        <div className="md:col-span-2">
          <Button type="submit" variant="primary" disabled={create.isPending}>
            Add webhook
          </Button>
        </div>
      </form>
      {error ? (
        <div className="mt-3">
          <ErrorNote>{error}</ErrorNote>
        </div>
      ) : null}
    </section>
  );
}
