import * as Dialog from '@radix-ui/react-dialog';
import { useInfiniteQuery } from '@tanstack/react-query';
import { Search, SlidersHorizontal } from 'lucide-react';
import { useEffect, useState } from 'react';
import { useNavigate } from 'react-router-dom';
import { searchConversations, type SearchHit } from './api.ts';
import { HighlightedText } from './highlighted-text.tsx';

interface Filters {
  cluster: string;
  namespace: string;
  tool: string;
  from: string;
  to: string;
}
const noFilters: Filters = { cluster: '', namespace: '', tool: '', from: '', to: '' };
const filterFields: Array<{ key: keyof Filters; label: string; type: 'text' | 'date'; placeholder?: string }> = [
  { key: 'cluster', label: 'Cluster', type: 'text', placeholder: 'prod' },
  { key: 'namespace', label: 'Namespace', type: 'text', placeholder: 'payments' },
  { key: 'tool', label: 'Tool', type: 'text', placeholder: 'k8s_rollout_restart' },
  { key: 'from', label: 'Active from', type: 'date' },
  { key: 'to', label: 'Active until', type: 'date' },
];

/**
 * Ctrl/Cmd+K: full-text search over the titles and content (messages, answers, tool calls) of the conversations you
 * may read (issue 37), newest activity first and a page at a time ("Show more" follows the cursor, issue 79), each with
 * the passage that matched and the matched words marked. Arrow keys and Enter open one; the filters narrow by
 * cluster, namespace, tool and date.
 */
export function SearchDialog({ open, onOpenChange }: { open: boolean; onOpenChange(open: boolean): void }) {
  const [text, setText] = useState('');
  const [filters, setFilters] = useState<Filters>(noFilters);
  const [showFilters, setShowFilters] = useState(false);
  const [debounced, setDebounced] = useState({ text: '', filters: noFilters });
  const [active, setActive] = useState(0);
  const navigate = useNavigate();
  useEffect(() => {
    const timer = setTimeout(() => setDebounced({ text: text.trim(), filters }), 150);
    return () => clearTimeout(timer);
  }, [text, filters]);
  useEffect(() => {
    if (!open) {
      setText('');
      setFilters(noFilters);
    }
  }, [open]);
  const filtered = Object.values(debounced.filters).some((value) => value.trim() !== '');
  const ready = debounced.text.length >= 2 || (debounced.text.length === 0 && filtered);
  const results = useInfiniteQuery({
    queryKey: ['conversations', 'search', debounced],
    queryFn: ({ pageParam }) =>
      searchConversations({
        limit: 20,
        ...(debounced.text ? { q: debounced.text } : {}),
        ...Object.fromEntries(Object.entries(debounced.filters).filter(([, value]) => value.trim() !== '').map(([key, value]) => [key, value.trim()])),
        ...(pageParam ? { cursor: pageParam } : {}),
      }),
    initialPageParam: null as string | null,
    getNextPageParam: (page) => page.next_cursor ?? undefined,
    enabled: open && ready,
    retry: false,
  });
  const items = results.data?.pages.flatMap((page) => page.data) ?? [];
  useEffect(() => setActive(0), [debounced]);

  const go = (id: string) => {
    onOpenChange(false);
    navigate(`/chat/${id}`);
  };

  return (
    <Dialog.Root open={open} onOpenChange={onOpenChange}>
      <Dialog.Portal>
        <Dialog.Overlay className="fixed inset-0 z-40 bg-black/50" />
        <Dialog.Content className="fixed left-1/2 top-24 z-50 w-[min(92vw,640px)] -translate-x-1/2 overflow-hidden rounded-lg border border-border bg-panel shadow-2xl">
          <Dialog.Title className="sr-only">Search conversations</Dialog.Title>
          <Dialog.Description className="sr-only">Type at least two characters: titles, messages, answers and tool calls are searched.</Dialog.Description>
          <div className="flex items-center gap-2 border-b border-border px-3">
            <Search className="h-4 w-4 text-muted" aria-hidden />
            <input
              autoFocus
              value={text}
              onChange={(event) => setText(event.target.value)}
              onKeyDown={(event) => {
                if (event.key === 'ArrowDown') setActive((index) => Math.min(items.length - 1, index + 1));
                if (event.key === 'ArrowUp') setActive((index) => Math.max(0, index - 1));
                if (event.key === 'Enter' && items[active]) go(items[active].id);
              }}
              placeholder="Search titles, messages, answers and tool calls…"
              aria-label="Search conversations"
              aria-controls="search-results"
              aria-activedescendant={items[active] ? `search-result-${items[active].id}` : undefined}
              className="h-12 flex-1 bg-transparent text-sm outline-none"
            />
            <button
              type="button"
              aria-expanded={showFilters}
              aria-controls="search-filters"
              onClick={() => setShowFilters((shown) => !shown)}
              className={`flex items-center gap-1 rounded px-2 py-1 text-xs ${filtered || showFilters ? 'text-fg' : 'text-muted'} hover:bg-panel-2`}
            >
              <SlidersHorizontal className="h-3.5 w-3.5" aria-hidden /> Filters
            </button>
          </div>
          {showFilters ? (
            <div id="search-filters" className="grid grid-cols-2 gap-2 border-b border-border px-3 py-2 sm:grid-cols-5">
              {filterFields.map((field) => (
                <label key={field.key} className="flex flex-col gap-0.5 text-[11px] text-muted">
                  {field.label}
                  <input
                    type={field.type}
                    value={filters[field.key]}
                    placeholder={field.placeholder}
                    onChange={(event) => setFilters((current) => ({ ...current, [field.key]: event.target.value }))}
                    className="h-7 min-w-0 rounded border border-border bg-panel px-1.5 text-xs text-fg"
                  />
                </label>
              ))}
            </div>
          ) : null}
          <ul id="search-results" role="listbox" aria-label="Search results" className="max-h-96 overflow-y-auto p-1">
            {!ready ? <li className="px-3 py-4 text-sm text-muted">Type at least two characters, or set a filter.</li> : null}
            {ready && results.isError ? <li className="px-3 py-4 text-sm text-danger">Search failed: {results.error.message}</li> : null}
            {ready && results.isFetching && items.length === 0 ? <li className="px-3 py-4 text-sm text-muted">Searching…</li> : null}
            {ready && !results.isFetching && !results.isError && items.length === 0 ? (
              <li className="px-3 py-4 text-sm text-muted">{debounced.text ? <>No conversation mentions “{debounced.text}”{filtered ? ' with these filters' : ''}.</> : 'No conversation matches these filters.'}</li>
            ) : null}
            {items.map((item, index) => (
              // the option itself is what a pointer clicks (the keyboard stays in the input: arrows and Enter); no control
              // nested inside it, so a screen reader announces one option per conversation
              <li
                key={item.id}
                id={`search-result-${item.id}`}
                role="option"
                aria-selected={index === active}
                onClick={() => go(item.id)}
                onMouseEnter={() => setActive(index)}
                className={`cursor-pointer rounded px-3 py-2 text-sm ${index === active ? 'bg-panel-2' : ''}`}
              >
                <SearchResult item={item} />
              </li>
            ))}
          </ul>
          {results.hasNextPage ? (
            // outside the listbox: a listbox holds options only
            <div className="border-t border-border p-1">
              <button
                type="button"
                disabled={results.isFetchingNextPage}
                onClick={() => void results.fetchNextPage()}
                className="w-full rounded px-2 py-1.5 text-xs text-muted hover:bg-panel-2 hover:text-fg"
              >
                {results.isFetchingNextPage ? 'Loading…' : 'Show more'}
              </button>
            </div>
          ) : null}
        </Dialog.Content>
      </Dialog.Portal>
    </Dialog.Root>
  );
}

function SearchResult({ item }: { item: SearchHit }) {
  return (
    <>
      <span className="flex items-center justify-between gap-3">
        <span className="truncate font-medium">{item.title ? <HighlightedText text={item.title} ranges={item.title_highlights} /> : 'New conversation'}</span>
        <span className="shrink-0 text-xs text-muted">
          {item.cluster ? `${item.cluster} · ` : ''}
          {new Date(item.updated_at).toLocaleDateString()}
        </span>
      </span>
      {item.snippet ? (
        <span data-testid="search-snippet" className="mt-0.5 line-clamp-2 block text-xs text-muted">
          <HighlightedText text={item.snippet.text} ranges={item.snippet.highlights} />
        </span>
      ) : null}
      {!item.owned_by_me ? <span className="mt-0.5 block text-[11px] text-muted">by {item.owner.email}</span> : null}
    </>
  );
}
