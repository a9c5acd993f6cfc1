import { Check, Copy } from 'lucide-react';
import { useEffect, useState } from 'react';

/**
 * Copies text to the clipboard and says "Copied" for two seconds. `text` may be a function, computed on click: an
 * answer's plain text is parsed only when someone asks for it, not for every answer the page paints.
 */
export function CopyButton({ label, text, ariaLabel, iconClassName = 'h-3 w-3' }: { label: string; text: string | (() => string); ariaLabel?: string; iconClassName?: string }) {
  const [copied, setCopied] = useState(false);
  useEffect(() => {
    if (!copied) return;
    const timer = setTimeout(() => setCopied(false), 2000);
    return () => clearTimeout(timer);
  }, [copied]);
  const Icon = copied ? Check : Copy;
  return (
    <button
      type="button"
      className="inline-flex items-center gap-1 hover:text-fg"
      aria-label={ariaLabel}
      onClick={() => void navigator.clipboard?.writeText(typeof text === 'function' ? text() : text).then(() => setCopied(true))}
    >
      <Icon className={iconClassName} aria-hidden />
      {copied ? 'Copied' : label}
    </button>
  );
}
