import * as DropdownMenu from '@radix-ui/react-dropdown-menu';
import { useInfiniteQuery, useMutation, useQueryClient, type InfiniteData } from '@tanstack/react-query';
import { MoreHorizontal, Pencil, Trash2 } from 'lucide-react';
import { useState, type KeyboardEvent } from 'react';
import { NavLink, useMatch, useNavigate } from 'react-router-dom';
import { ConfirmDialog } from '../../components/confirm-dialog.tsx';
import { Button, Spinner } from '../../components/ui.tsx';
import { deleteConversation, groupByDate, listConversations, renameConversation, type ConversationPage, type ConversationSummary } from './api.ts';

const REGRESSED_NOTE = 'A change made in this conversation regressed (verification found it worse) and has not been undone';

export function HistoryList() {
  const query = useInfiniteQuery({
    queryKey: ['conversations'],
    queryFn: ({ pageParam }) => listConversations({ cursor: pageParam }),
    initialPageParam: null as string | null,
    getNextPageParam: (page) => (page.pagination.has_more ? page.pagination.next_cursor : undefined),
  });
  if (query.isPending) return <Spinner label="Loading history" />;
  if (query.isError) return <p className="px-2 text-xs text-danger">History unavailable: {query.error.message}</p>;
  const items = query.data.pages.flatMap((page) => page.data);
  if (items.length === 0) return <p className="px-2 py-3 text-xs text-muted">No conversations yet. Ask something to start one.</p>;
  return (
    <div className="space-y-3 pb-3">
      {groupByDate(items).map((group) => (
        <section key={group.label} aria-label={group.label}>
          <h2 className="px-2 pb-1 text-[11px] font-semibold uppercase tracking-wide text-muted">{group.label}</h2>
          <ul className="space-y-0.5">
            {group.items.map((item) => (
              <HistoryItem key={item.id} item={item} />
            ))}
          </ul>
        </section>
      ))}
      {query.hasNextPage ? (
        <Button size="sm" variant="ghost" className="w-full" disabled={query.isFetchingNextPage} onClick={() => void query.fetchNextPage()}>
          {query.isFetchingNextPage ? 'Loading…' : 'Load older'}
        </Button>
      ) : null}
    </div>
  );
}

function HistoryItem({ item }: { item: ConversationSummary }) {
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const open = useMatch('/chat/:id');
  const [editing, setEditing] = useState(false);
  const [confirming, setConfirming] = useState(false);
  const title = item.title || 'New conversation';
  const refresh = () => queryClient.invalidateQueries({ queryKey: ['conversations'] });
  const rename = useMutation({ mutationFn: (next: string) => renameConversation(item.id, next), onSettled: refresh });
  const remove = useMutation({
    mutationFn: () => deleteConversation(item.id),
    onSuccess: async () => {
      setConfirming(false);
      if (open?.params.id === item.id) navigate('/', { replace: true });
      // Drop the row now; an in-flight refetch started before the delete would otherwise put it back for a moment.
      await queryClient.cancelQueries({ queryKey: ['conversations'] });
      queryClient.setQueryData<InfiniteData<ConversationPage>>(['conversations'], (data) =>
        data && { ...data, pages: data.pages.map((page) => ({ ...page, data: page.data.filter((entry) => entry.id !== item.id) })) },
      );
    },
    onSettled: refresh,
  });

  const onKey = (event: KeyboardEvent<HTMLInputElement>) => {
    if (event.key === 'Escape') setEditing(false);
    if (event.key === 'Enter') {
      const next = event.currentTarget.value.trim();
      if (next && next !== item.title) rename.mutate(next);
      setEditing(false);
    }
  };

  return (
    <li className="group relative">
      {editing ? (
        <input
          aria-label="Conversation title"
          defaultValue={item.title}
          autoFocus
          onKeyDown={onKey}
          onBlur={() => setEditing(false)}
          className="h-8 w-full rounded-md border border-accent bg-panel px-2 text-sm"
        />
      ) : (
        <NavLink
          to={`/chat/${item.id}`}
          className={({ isActive }) => `block truncate rounded-md py-1.5 pl-2.5 pr-8 text-sm ${isActive ? 'bg-panel-2 font-medium' : 'text-fg/90 hover:bg-panel-2'}`}
          title={title}
        >
          {item.regressed ? (
            // a change made here was verified `regressed` and not undone since: the reader should open it
            <span role="img" aria-label={REGRESSED_NOTE} title={REGRESSED_NOTE} data-testid="regressed-mark" className="mr-1.5 inline-block h-2 w-2 rounded-full bg-danger align-middle" />
          ) : null}
          {rename.isPending ? rename.variables : title}
        </NavLink>
      )}
      {!editing ? (
        <DropdownMenu.Root>
          <DropdownMenu.Trigger
            aria-label={`Actions for ${title}`}
            className="absolute right-1 top-1 rounded p-1 text-muted opacity-0 hover:bg-border focus:opacity-100 group-hover:opacity-100 data-[state=open]:opacity-100"
          >
            <MoreHorizontal className="h-4 w-4" aria-hidden />
          </DropdownMenu.Trigger>
          <DropdownMenu.Portal>
            <DropdownMenu.Content align="end" className="z-50 min-w-36 rounded-md border border-border bg-panel p-1 shadow-lg">
              <DropdownMenu.Item onSelect={() => setEditing(true)} className="flex cursor-pointer items-center gap-2 rounded px-2 py-1.5 text-sm outline-none data-[highlighted]:bg-panel-2">
                <Pencil className="h-4 w-4" aria-hidden /> Rename
              </DropdownMenu.Item>
              <DropdownMenu.Item onSelect={() => setConfirming(true)} className="flex cursor-pointer items-center gap-2 rounded px-2 py-1.5 text-sm text-danger outline-none data-[highlighted]:bg-panel-2">
                <Trash2 className="h-4 w-4" aria-hidden /> Delete
              </DropdownMenu.Item>
            </DropdownMenu.Content>
          </DropdownMenu.Portal>
        </DropdownMenu.Root>
      ) : null}
      <ConfirmDialog
        open={confirming}
        onOpenChange={setConfirming}
        title="Delete this conversation?"
        description={
          <>
            “{title}” and its timeline are deleted, and any call still waiting for approval in it is cancelled. This cannot be undone.
          </>
        }
        confirmLabel={remove.isPending ? 'Deleting…' : 'Delete'}
        busy={remove.isPending}
        onConfirm={() => remove.mutate()}
      />
    </li>
  );
}
