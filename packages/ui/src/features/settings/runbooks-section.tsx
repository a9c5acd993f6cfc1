/**
 * Settings → Runbooks (issue 36): the team's Markdown runbooks, matched to alerts and questions and given to the model
 * as reference. Everyone sees the list and opens a runbook (the answer's "Runbook: <title>" chip links here with
 * `?runbook=<name>`); admins upload (a file or pasted Markdown) and delete. Files under RUNBOOKS_DIR are read-only
 * here: they change where they live. The matching format is in docs/runbooks.md.
 */
import type { RunbookSummary } from '@skyflo/protocol';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Trash2, Upload } from 'lucide-react';
import { useEffect, useState, type FormEvent } from 'react';
import { useSearchParams } from 'react-router-dom';
import { Markdown } from '../../components/markdown.tsx';
import { Button, ErrorNote, Field, Input, Spinner } from '../../components/ui.tsx';
import { skyflo } from '../../lib/api.ts';

function matchLine(runbook: RunbookSummary): string {
  const parts = [...runbook.alerts.map((alert) => `alert ${alert}`), ...Object.entries(runbook.labels).map(([key, value]) => `${key}=${value}`), ...runbook.kinds.map((kind) => `kind ${kind}`)];
  return parts.length > 0 ? parts.join(' · ') : 'title and heading words only';
}

function RunbookView({ name }: { name: string }) {
  const detail = useQuery({ queryKey: ['runbooks', name], queryFn: () => skyflo.runbook(name), retry: false });
  if (detail.isPending) return <Spinner />;
  if (detail.isError) return <ErrorNote>{detail.error.message}</ErrorNote>;
  return (
    <div className="mt-2 max-h-96 overflow-auto rounded-md border border-border p-3 text-sm" data-testid="runbook-view">
      <Markdown text={detail.data.markdown.replace(/^---\r?\n[\s\S]*?\r?\n---\r?\n?/, '')} />
    </div>
  );
}

export function RunbooksSection({ isAdmin }: { isAdmin: boolean }) {
  const queryClient = useQueryClient();
  const [params, setParams] = useSearchParams();
  const open = params.get('runbook');
  const [name, setName] = useState('');
  const [markdown, setMarkdown] = useState('');
  const list = useQuery({ queryKey: ['runbooks'], queryFn: () => skyflo.runbooks() });
  const refresh = () => queryClient.invalidateQueries({ queryKey: ['runbooks'] });
  const upload = useMutation({
    mutationFn: () => skyflo.uploadRunbook({ name: name.trim(), markdown }),
    onSuccess: () => {
      setName('');
      setMarkdown('');
      void refresh();
    },
  });
  const remove = useMutation({ mutationFn: (target: string) => skyflo.deleteRunbook(target), onSuccess: () => void refresh() });
  useEffect(() => {
    if (open) document.getElementById('runbooks')?.scrollIntoView({ block: 'start' });
  }, [open]);
  const toggle = (target: string) => {
    const next = new URLSearchParams(params);
    if (open === target) next.delete('runbook');
    else next.set('runbook', target);
    setParams(next, { replace: true });
  };
  const submit = (event: FormEvent) => {
    event.preventDefault();
    upload.mutate();
  };
  return (
    <section className="rounded-lg border border-border bg-panel p-5" aria-label="Runbooks" id="runbooks">
      <h2 className="font-semibold">Runbooks</h2>
      <p className="mb-4 mt-0.5 text-sm text-muted">
        Markdown runbooks matched to alerts and questions (front matter <code>alerts</code>, <code>labels</code>, <code>kinds</code>, then title words). The best one or two are given to the model as reference, never as instructions; the answer names them.
        {list.data?.directory_configured ? ' Files from RUNBOOKS_DIR are listed read-only.' : ''}
      </p>
      {list.isPending ? <Spinner /> : null}
      {list.isError ? <ErrorNote>{list.error.message}</ErrorNote> : null}
      {remove.isError ? <ErrorNote>{remove.error.message}</ErrorNote> : null}
      {list.data?.data.length === 0 ? <p className="text-sm text-muted">No runbooks yet.</p> : null}
      <ul className="divide-y divide-border">
        {list.data?.data.map((runbook) => (
          <li key={runbook.name} className="py-2">
            <div className="flex items-center gap-2">
              <button type="button" className="min-w-0 flex-1 text-left" onClick={() => toggle(runbook.name)} aria-expanded={open === runbook.name}>
                <span className="font-medium">{runbook.title}</span> <span className="text-xs text-muted">{runbook.name} · {runbook.source === 'directory' ? 'RUNBOOKS_DIR' : 'uploaded'}</span>
                <span className="block text-xs text-muted">{matchLine(runbook)}</span>
              </button>
              {isAdmin && runbook.source === 'uploaded' ? (
                <Button variant="ghost" aria-label={`Delete runbook ${runbook.name}`} onClick={() => remove.mutate(runbook.name)} disabled={remove.isPending}>
                  <Trash2 className="h-4 w-4" aria-hidden />
                </Button>
              ) : null}
            </div>
            {open === runbook.name ? <RunbookView name={runbook.name} /> : null}
          </li>
        ))}
      </ul>
      {isAdmin ? (
        <form className="mt-4 space-y-2" onSubmit={submit}>
          <Field label="Name" htmlFor="runbook-name" hint="e.g. db/postgres-down; the same name replaces a runbook">
            <Input id="runbook-name" value={name} onChange={(event) => setName(event.target.value)} />
          </Field>
          <Field label="Markdown" htmlFor="runbook-markdown" hint="Paste it, or choose a .md file">
            <textarea id="runbook-markdown" className="h-32 w-full rounded-md border border-border bg-panel p-2 font-mono text-xs" value={markdown} onChange={(event) => setMarkdown(event.target.value)} />
          </Field>
          <input
            type="file"
            accept=".md,text/markdown"
            aria-label="Runbook file"
            className="text-sm"
            onChange={(event) => {
              const file = event.target.files?.[0];
              if (!file) return;
              if (!name) setName(file.name.replace(/\.md$/i, ''));
              void file.text().then(setMarkdown);
            }}
          />
          {upload.isError ? <ErrorNote>{upload.error.message}</ErrorNote> : null}
          <Button type="submit" disabled={!name.trim() || !markdown.trim() || upload.isPending}>
            <Upload className="h-4 w-4" aria-hidden /> Upload runbook
          </Button>
        </form>
      ) : null}
    </section>
  );
}
