/** Settings → Public address: where users reach the Command Center, the base of every link Skyflo sends out. */
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { publicUrlQueryKey, savePublicUrl, usePublicUrl } from '../../lib/public-url.tsx';
import { Badge, Button, ErrorNote, Field, Input, Spinner } from '../../components/ui.tsx';

export function PublicUrlSection() {
  const current = usePublicUrl();
  const queryClient = useQueryClient();
  const [draft, setDraft] = useState<string>();
  const save = useMutation({
    mutationFn: (url: string) => savePublicUrl({ url }),
    onSuccess: (saved) => {
      queryClient.setQueryData(publicUrlQueryKey, saved);
      setDraft(undefined);
    },
  });
  if (current.isPending) return <Spinner />;
  if (current.isError) return <ErrorNote>{current.error.message}</ErrorNote>;
  const { url, source, origin, set_by: setBy } = current.data;
  const value = draft ?? url ?? '';
  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    save.mutate(value.trim());
  };
  return (
    <section className="rounded-lg border border-border bg-panel p-5" aria-label="Public address">
      <div className="flex flex-wrap items-center gap-2">
        <h2 className="font-semibold">Public address</h2>
        <Badge tone={source === 'unknown' ? 'warn' : 'ok'}>{source === 'environment' ? 'Set by PUBLIC_URL' : source === 'settings' ? 'Set' : 'Unknown'}</Badge>
      </div>
      <p className="mb-4 mt-0.5 text-sm text-muted">
        The address your team opens Skyflo at. Links in webhooks and Slack messages, and the Slack app's Request URL, start with it; while it is unknown they are relative and do not open from Slack.
        {source === 'settings' && origin === 'browser' ? ` Taken from ${setBy ?? 'the first admin'}'s browser.` : ''}
        {source === 'settings' && origin === 'admin' ? ` Set by ${setBy ?? 'an admin'}.` : ''}
      </p>
      {source === 'environment' ? (
        <p className="break-all font-mono text-sm" data-testid="public-url">
          {url}
        </p>
      ) : (
        <form onSubmit={submit} className="flex max-w-xl flex-col gap-2 sm:flex-row sm:items-end">
          <div className="min-w-0 flex-1">
            <Field label="Address" htmlFor="public-url">
              <Input id="public-url" type="url" required value={value} onChange={(event) => setDraft(event.target.value)} placeholder="https://skyflo.example.com" />
            </Field>
          </div>
          <Button type="submit" variant="primary" disabled={save.isPending || value.trim() === (url ?? '')}>
            Save
          </Button>
        </form>
      )}
      {save.isSuccess && draft === undefined ? <p role="status" className="mt-2 text-sm text-ok">Saved; new links use it.</p> : null}
      {save.isError ? <div className="mt-2"><ErrorNote>{save.error.message}</ErrorNote></div> : null}
    </section>
  );
}
