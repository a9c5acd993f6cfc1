/**
 * A team member's scope (admins, Settings → Team): the clusters and namespace patterns they may touch. Empty means
 * everything. Tools are offered and calls accepted only inside it (the engine enforces it; this only edits it).
 * Its labels leave the member's email out: the row already names them, and a cell's accessible name is its content.
 */
import type { Member } from '@skyflo/protocol';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { skyflo } from '../../lib/api.ts';
import { Button, ErrorNote, Input } from '../ui.tsx';
import { describeScope, invalidPatterns, parseList, scopeFromFields } from './cluster-labels.ts';
import { useClusters } from './clusters-query.ts';

export function MemberScopeCell({ member }: { member: Member }) {
  const queryClient = useQueryClient();
  const clusters = useClusters();
  const [editing, setEditing] = useState(false);
  const [chosen, setChosen] = useState<string[]>(member.scope?.clusters ?? []);
  const [namespaces, setNamespaces] = useState((member.scope?.namespaces ?? []).join(', '));
  const save = useMutation({
    mutationFn: () => skyflo.setMemberScope(member.id, scopeFromFields(chosen, namespaces)),
    onSuccess: () => {
      setEditing(false);
      void queryClient.invalidateQueries({ queryKey: ['team'] });
    },
  });
  const invalid = invalidPatterns(parseList(namespaces));
  if (clusters.data === null) return <span className="text-xs text-muted">—</span>; // an engine without clusters
  if (!editing) {
    return (
      <span className="flex items-center gap-2">
        <span className="text-xs" data-testid="member-scope">
          {describeScope(member.scope)}
        </span>
        <Button size="sm" variant="ghost" aria-label="Edit scope" onClick={() => {
            // start from what is saved now (the list may have been refreshed since this row first rendered)
            setChosen(member.scope?.clusters ?? []);
            setNamespaces((member.scope?.namespaces ?? []).join(', '));
            setEditing(true);
          }}>
          Edit
        </Button>
      </span>
    );
  }
  return (
    <div className="space-y-1.5" aria-label="Scope" role="group">
      <fieldset className="flex flex-wrap gap-2 text-xs">
        <legend className="sr-only">Clusters</legend>
        {(clusters.data?.clusters ?? []).map((cluster) => (
          <label key={cluster.name} className="flex items-center gap-1">
            <input
              type="checkbox"
              checked={chosen.includes(cluster.name)}
              onChange={(event) => setChosen(event.target.checked ? [...chosen, cluster.name] : chosen.filter((name) => name !== cluster.name))}
            />
            {cluster.name}
          </label>
        ))}
        <span className="text-muted">{chosen.length === 0 ? '(none ticked: every cluster)' : ''}</span>
      </fieldset>
      <Input aria-label="Namespaces" value={namespaces} placeholder="every namespace, or e.g. payments-*, checkout" onChange={(event) => setNamespaces(event.target.value)} className="h-8" />
      {invalid.length > 0 ? <p className="text-xs text-danger">Not a namespace pattern: {invalid.join(', ')}</p> : null}
      {save.isError ? <ErrorNote>{save.error.message}</ErrorNote> : null}
      <span className="flex gap-2">
        <Button size="sm" variant="primary" disabled={save.isPending || invalid.length > 0} onClick={() => save.mutate()}>
          Save scope
        </Button>
        <Button size="sm" variant="ghost" onClick={() => setEditing(false)}>
          Cancel
        </Button>
      </span>
    </div>
  );
}
