/** A unified diff, coloured line by line (loaded on demand: only approval cards need it). */
/** `caption`/`label`/`testId`: another diff on the same card (an inverse's) is told apart from the card's own. */
/**
 * Long lines (an image reference, an annotation) wrap inside the card instead of running past its edge (issue 37
 * item 8): a wrapped line keeps its colour and is indented under its first character, so it still reads as one line.
 */
export default function DiffView({ diff, caption = 'Dry-run diff (live → after)', label = 'Dry-run diff', testId = 'diff-view' }: { diff: string; caption?: string; label?: string; testId?: string }) {
  const lines = diff.replace(/\n$/, '').split('\n');
  let added = 0;
  let removed = 0;
  for (const line of lines) {
    if (line.startsWith('+') && !line.startsWith('+++')) added += 1;
    else if (line.startsWith('-') && !line.startsWith('---')) removed += 1;
  }
  return (
    <figure className="min-w-0 max-w-full overflow-hidden rounded-md border border-border" data-testid={testId}>
      <figcaption className="flex items-center justify-between bg-panel-2 px-3 py-1 text-xs text-muted">
        <span>{caption}</span>
        <span>
          <span className="text-ok">+{added}</span> <span className="text-danger">−{removed}</span>
        </span>
      </figcaption>
      <pre tabIndex={0} aria-label={label} className="max-h-96 overflow-auto bg-panel py-2 font-mono text-xs leading-5">
        {lines.map((line, index) => {
          const kind = line.startsWith('+++') || line.startsWith('---') ? 'file' : line.startsWith('@@') ? 'hunk' : line.startsWith('+') ? 'add' : line.startsWith('-') ? 'del' : 'ctx';
          const style =
            kind === 'add'
              ? { background: 'var(--diff-add-bg)', color: 'var(--diff-add-fg)' }
              : kind === 'del'
                ? { background: 'var(--diff-del-bg)', color: 'var(--diff-del-fg)' }
                : kind === 'hunk'
                  ? { color: 'var(--diff-hunk)' }
                  : kind === 'file'
                    ? { fontWeight: 600 }
                    : undefined;
          return (
            <div key={index} data-diff={kind} className="whitespace-pre-wrap pr-3 pl-[calc(0.75rem+2ch)] -indent-[2ch] [overflow-wrap:anywhere]" style={style}>
              {line || ' '}
            </div>
          );
        })}
      </pre>
    </figure>
  );
}
