import { memo, useEffect, useState, type ReactNode } from 'react';
import ReactMarkdown from 'react-markdown';
import remarkGfm from 'remark-gfm';
import { CopyButton } from './copy-button.tsx';
import { closeCutAnswer } from '@skyflo/protocol/markdown-cut';
import { splitBlocks } from './markdown-blocks.ts';

function CodeBlock({ code, language }: { code: string; language: string }) {
  const [html, setHtml] = useState<string>();
  useEffect(() => {
    let live = true;
    if (language) void import('./highlight.ts').then((module) => live && setHtml(module.highlight(code, language)));
    return () => {
      live = false;
    };
  }, [code, language]);
  return (
    <div className="my-2 overflow-hidden rounded-md border border-border">
      <div className="flex items-center justify-between bg-panel-2 px-3 py-1 text-xs text-muted">
        <span>{language || 'text'}</span>
        <CopyButton label="Copy" text={code} ariaLabel="Copy code" iconClassName="h-3.5 w-3.5" />
      </div>
      {html !== undefined ? (
        <pre tabIndex={0} className="overflow-auto bg-term-bg p-3 font-mono text-xs leading-5 text-term-fg">
          <code dangerouslySetInnerHTML={{ __html: html }} />
        </pre>
      ) : (
        <pre tabIndex={0} className="overflow-auto bg-term-bg p-3 font-mono text-xs leading-5 text-term-fg">
          <code>{code}</code>
        </pre>
      )}
    </div>
  );
}

/** Answer text: GFM Markdown (tables, task lists), code blocks with copy and lazily loaded highlighting. */
export const Markdown = memo(function Markdown({ text }: { text: string }) {
  return (
    <div className="prose-chat text-[0.94rem]">
      <ReactMarkdown
        remarkPlugins={[remarkGfm]}
        components={{
          pre: ({ children }: { children?: ReactNode }) => <>{children}</>,
          code: ({ className, children }: { className?: string; children?: ReactNode }) => {
            const source = String(children ?? '');
            const language = /language-([\w-]+)/.exec(className ?? '')?.[1] ?? '';
            if (!className && !source.includes('\n')) return <code>{children}</code>;
            return <CodeBlock code={source.replace(/\n$/, '')} language={language} />;
          },
        }}
      >
        {text}
      </ReactMarkdown>
    </div>
  );
});

/**
 * An answer as it streams, or as it stopped: block by block, and the last block's last line with a span the stream or
 * a stop left open closed (`Finding **bold` reads as bold, not with its asterisks).
 */
export function StreamingMarkdown({ text }: { text: string }) {
  const blocks = splitBlocks(text);
  if (blocks.length > 0) blocks[blocks.length - 1] = closeCutAnswer(blocks[blocks.length - 1]!);
  return (
    <>
      {blocks.map((block, index) => (
        <Markdown key={index} text={block} />
      ))}
    </>
  );
}
