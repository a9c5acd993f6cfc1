import { ArrowUp, Square } from 'lucide-react';
import { useEffect, useLayoutEffect, useRef, useState, type ReactNode } from 'react';
import { Button } from '../../../components/ui.tsx';

/**
 * As tall as its text (up to 240 px) or, empty, as its placeholder: a placeholder that says why nothing can run wraps to
 * two lines on a phone, and a one-line area showed half of it.
 */
function fitHeight(area: HTMLTextAreaElement): void {
  const empty = area.value === '';
  if (empty) area.value = area.placeholder;
  area.style.height = 'auto';
  area.style.height = `${Math.min(240, area.scrollHeight)}px`;
  if (empty) area.value = '';
}

/** Auto-growing input: Enter sends, Shift+Enter is a new line; Stop replaces Send while a run streams. */
export function Composer(props: { onSend(text: string): void; onStop?(): void; streaming?: boolean; disabled?: boolean; placeholder?: string; autoFocus?: boolean; footer?: ReactNode }) {
  const [text, setText] = useState('');
  const area = useRef<HTMLTextAreaElement>(null);
  const send = () => {
    const value = text.trim();
    if (!value || props.disabled) return;
    props.onSend(value);
    setText('');
  };
  // after each change of the text (sent, typed) or of the placeholder, before the browser paints
  useLayoutEffect(() => {
    if (area.current) fitHeight(area.current);
  }, [text, props.placeholder]);
  // and after each change of its width (a phone turned upright wraps the same words onto more lines); its height, which
  // fitHeight itself sets, is not a reason to measure again
  useEffect(() => {
    const element = area.current;
    if (!element || typeof ResizeObserver === 'undefined') return;
    let width = element.clientWidth;
    const observer = new ResizeObserver(() => {
      if (element.clientWidth === width) return;
      width = element.clientWidth;
      fitHeight(element);
    });
    observer.observe(element);
    return () => observer.disconnect();
  }, []);
  return (
    <div className="rounded-xl border border-border bg-panel shadow-sm focus-within:border-accent">
      <textarea
        ref={area}
        value={text}
        rows={1}
        autoFocus={props.autoFocus}
        aria-label="Message"
        placeholder={props.placeholder ?? 'Ask Skyflo…'}
        onChange={(event) => setText(event.target.value)}
        onKeyDown={(event) => {
          if (event.key === 'Enter' && !event.shiftKey && !event.nativeEvent.isComposing) {
            event.preventDefault();
            send();
          }
        }}
        className="block max-h-60 w-full resize-none bg-transparent px-4 pt-3 text-[0.95rem] outline-none placeholder:text-muted focus-visible:outline-none"
      />
      <div className="flex items-center justify-between gap-2 px-3 pb-2 pt-1">
        <div className="min-w-0 text-xs text-muted">{props.footer}</div>
        <div className="flex items-center gap-2">
          {props.streaming && props.onStop ? (
            <Button size="sm" variant="secondary" onClick={props.onStop} aria-label="Stop the run">
              <Square className="h-3.5 w-3.5 fill-current" aria-hidden /> Stop
            </Button>
          ) : null}
          <Button size="sm" variant="primary" onClick={send} disabled={!text.trim() || props.disabled} aria-label={props.streaming ? 'Queue message' : 'Send message'}>
            <ArrowUp className="h-4 w-4" aria-hidden />
            {props.streaming ? 'Queue' : 'Send'}
          </Button>
        </div>
      </div>
    </div>
  );
}
