import { Undo2 } from 'lucide-react';
import { useChatStore } from '../state/chat-store.ts';
import { describeCall } from './verification-labels.ts';

/** On an approval card that undoes an earlier change: which one, in large type, before anything else. */
export function UndoOfBanner({ callId }: { callId: string }) {
  const described = useChatStore((state) => describeCall(state.timeline.entries, callId));
  return (
    <div className="flex items-center gap-2 border-b border-border bg-accent/10 px-4 py-2" data-testid="undo-of">
      <Undo2 className="h-5 w-5 shrink-0 text-accent" aria-hidden />
      <p className="text-base font-semibold">
        Undo of <span data-testid="undo-of-call">{described}</span>
      </p>
      {described !== callId ? <code className="ml-auto truncate font-mono text-xs text-muted">{callId}</code> : null}
    </div>
  );
}
