import { commandSpans } from './command-spans.ts';

/** An engine's problem or hint with its commands shown as code, each kept on one line (see command-spans.ts). */
export function CommandText({ text }: { text: string }) {
  return (
    <>
      {commandSpans(text).map((span, index) =>
        span.command ? (
          <code key={index} className="whitespace-nowrap rounded bg-panel-2 px-1 font-mono text-[0.92em]">
            {span.text}
          </code>
        ) : (
          span.text
        ),
      )}
    </>
  );
}
