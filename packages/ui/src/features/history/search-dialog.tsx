import * as Dialog from '@radix-ui/react-dialog';
import { useQuery } from '@tanstack/react-query';
import { Search } from 'lucide-react';
import { useEffect, useState } from 'react';
import { useNavigate } from 'react-router-dom';
import { listConversations } from './api.ts';

/** Ctrl/Cmd+K: server-side title search (2+ characters), arrow keys and Enter to open. */
export function SearchDialog({ open, onOpenChange }: { open: boolean; onOpenChange(open: boolean): void }) {
  const [text, setText] = useState('');
  const [debounced, setDebounced] = useState('');
  const [active, setActive] = useState(0);
  const navigate = useNavigate();
  useEffect(() => {
    const timer = setTimeout(() => setDebounced(text.trim()), 150);
    return () => clearTimeout(timer);
  }, [text]);
  useEffect(() => {
    if (!open) setText('');
  }, [open]);
  const results = useQuery({ queryKey: ['conversations', 'search', debounced], queryFn: () => listConversations({ query: debounced, limit: 20 }), enabled: open && debounced.length >= 2 });
  const items = results.data?.data ?? [];
  useEffect(() => setActive(0), [debounced]);

  const go = (id: string) => {
    onOpenChange(false);
    navigate(`/chat/${id}`);
  };

  return (
    <Dialog.Root open={open} onOpenChange={onOpenChange}>
      <Dialog.Portal>
        <Dialog.Overlay className="fixed inset-0 z-40 bg-black/50" />
        <Dialog.Content className="fixed left-1/2 top-24 z-50 w-[min(92vw,560px)] -translate-x-1/2 overflow-hidden rounded-lg border border-border bg-panel shadow-2xl">
          <Dialog.Title className="sr-only">Search conversations</Dialog.Title>
          <Dialog.Description className="sr-only">Type at least two characters of a conversation title.</Dialog.Description>
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
              placeholder="Search conversations by title…"
              aria-label="Search conversations"
              className="h-12 flex-1 bg-transparent text-sm outline-none"
            />
          </div>
          <ul role="listbox" aria-label="Search results" className="max-h-80 overflow-y-auto p-1">
            {debounced.length < 2 ? <li className="px-3 py-4 text-sm text-muted">Type at least two characters.</li> : null}
            {debounced.length >= 2 && results.isFetching && items.length === 0 ? <li className="px-3 py-4 text-sm text-muted">Searching…</li> : null}
            {debounced.length >= 2 && !results.isFetching && items.length === 0 ? <li className="px-3 py-4 text-sm text-muted">No conversation title matches “{debounced}”.</li> : null}
            {items.map((item, index) => (
              <li key={item.id} role="option" aria-selected={index === active}>
                <button
                  type="button"
                  onClick={() => go(item.id)}
                  onMouseEnter={() => setActive(index)}
                  className={`flex w-full items-center justify-between rounded px-3 py-2 text-left text-sm ${index === active ? 'bg-panel-2' : ''}`}
                >
                  <span className="truncate">{item.title || 'New conversation'}</span>
                  <span className="ml-3 shrink-0 text-xs text-muted">{new Date(item.updated_at).toLocaleDateString()}</span>
                </button>
              </li>
            ))}
          </ul>
        </Dialog.Content>
      </Dialog.Portal>
    </Dialog.Root>
  );
}
