/** Small shared building blocks (the shadcn approach: ours to read and change). */
import { AlertTriangle, Loader2 } from 'lucide-react';
import type { ButtonHTMLAttributes, InputHTMLAttributes, ReactNode } from 'react';
import { forwardRef } from 'react';

type Variant = 'primary' | 'secondary' | 'danger' | 'ghost';
const variants: Record<Variant, string> = {
  primary: 'bg-accent text-accent-fg hover:opacity-90 border border-transparent',
  secondary: 'bg-panel text-fg border border-border hover:bg-panel-2',
  danger: 'bg-danger text-white hover:opacity-90 border border-transparent dark:text-bg',
  ghost: 'text-fg hover:bg-panel-2 border border-transparent',
};

export const Button = forwardRef<HTMLButtonElement, ButtonHTMLAttributes<HTMLButtonElement> & { variant?: Variant; size?: 'sm' | 'md' }>(function Button(
  { variant = 'secondary', size = 'md', className = '', ...props },
  ref,
) {
  const sizing = size === 'sm' ? 'h-8 px-2.5 text-sm' : 'h-9 px-3.5 text-sm';
  return (
    <button
      ref={ref}
      {...props}
      className={`inline-flex items-center justify-center gap-1.5 rounded-md font-medium transition disabled:cursor-not-allowed disabled:opacity-50 ${sizing} ${variants[variant]} ${className}`}
    />
  );
});

export const Input = forwardRef<HTMLInputElement, InputHTMLAttributes<HTMLInputElement>>(function Input({ className = '', ...props }, ref) {
  return <input ref={ref} {...props} className={`h-9 w-full rounded-md border border-border bg-panel px-3 text-sm text-fg placeholder:text-muted ${className}`} />;
});

export function Field({ label, htmlFor, hint, children }: { label: string; htmlFor: string; hint?: string; children: ReactNode }) {
  return (
    <div className="space-y-1">
      <label htmlFor={htmlFor} className="block text-sm font-medium">
        {label}
      </label>
      {children}
      {hint ? <p className="text-xs text-muted">{hint}</p> : null}
    </div>
  );
}

export function Spinner({ label = 'Loading' }: { label?: string }) {
  return (
    <span role="status" className="inline-flex items-center gap-2 text-sm text-muted">
      <Loader2 className="h-4 w-4 animate-spin" aria-hidden />
      {label}
    </span>
  );
}

export function ErrorNote({ children }: { children: ReactNode }) {
  return (
    <div role="alert" className="flex items-start gap-2 rounded-md border border-danger/40 bg-danger/10 px-3 py-2 text-sm text-danger">
      <AlertTriangle className="mt-0.5 h-4 w-4 shrink-0" aria-hidden />
      <div>{children}</div>
    </div>
  );
}

export function EmptyState({ icon, title, children }: { icon?: ReactNode; title: string; children?: ReactNode }) {
  return (
    <div className="flex flex-col items-center justify-center gap-2 rounded-lg border border-dashed border-border px-6 py-12 text-center">
      {icon}
      <p className="font-medium">{title}</p>
      {children ? <div className="max-w-md text-sm text-muted">{children}</div> : null}
    </div>
  );
}

export function PageHeader({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <header className="mb-6 flex items-center justify-between gap-4">
      <h1 className="text-xl font-semibold">{title}</h1>
      {children}
    </header>
  );
}

export function Badge({ tone = 'neutral', children }: { tone?: 'neutral' | 'ok' | 'warn' | 'danger' | 'accent'; children: ReactNode }) {
  const tones = {
    neutral: 'border-border text-muted',
    ok: 'border-ok/40 text-ok',
    warn: 'border-warn/50 text-warn',
    danger: 'border-danger/50 text-danger',
    accent: 'border-accent/50 text-accent',
  };
  return <span className={`inline-flex items-center gap-1 rounded border px-1.5 py-0.5 text-xs font-medium ${tones[tone]}`}>{children}</span>;
}

/** A keyboard shortcut's key; not shown on a touch screen without a mouse or trackpad (a phone), where it is noise. */
export function Kbd({ children }: { children: ReactNode }) {
  return <kbd className="rounded border border-border bg-panel-2 px-1 font-mono text-[10px] text-muted not-any-pointer-fine:hidden">{children}</kbd>;
}
