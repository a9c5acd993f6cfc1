import { Brain, ChevronRight } from 'lucide-react';
import { useState } from 'react';

/** The model's reasoning: live while it thinks, then "Thought for Xs", collapsed by default. */
export function ThinkingBlock({ text, complete, durationMs }: { text: string; complete: boolean; durationMs?: number }) {
  const [open, setOpen] = useState(false);
  const label = complete ? (durationMs !== undefined ? `Thought for ${(durationMs / 1000).toFixed(1)}s` : 'Thought') : 'Thinking…';
  const expanded = open || !complete;
  return (
    <div className="my-2">
      <button type="button" aria-expanded={expanded} onClick={() => setOpen(!open)} className="inline-flex items-center gap-1.5 text-sm text-muted hover:text-fg">
        <ChevronRight className={`h-4 w-4 transition-transform ${expanded ? 'rotate-90' : ''}`} aria-hidden />
        <Brain className={`h-4 w-4 ${complete ? '' : 'animate-pulse'}`} aria-hidden />
        {label}
      </button>
      {expanded ? <div className="ml-2 mt-1 whitespace-pre-wrap border-l-2 border-border pl-4 text-sm italic text-muted">{text}</div> : null}
    </div>
  );
}
