import { Construction } from 'lucide-react';
import { ApiError } from '../lib/api.ts';
import { EmptyState, ErrorNote } from './ui.tsx';

/** True when the engine does not have this endpoint (an older engine): the page says so instead of failing. */
export function isUnavailable(error: unknown): boolean {
  return error instanceof ApiError && (error.status === 404 || error.status === 501);
}

/** The error state of a page backed by an optional endpoint: "not available on this server", or the error. */
export function QueryError({ error, what }: { error: Error; what: string }) {
  if (isUnavailable(error)) {
    return (
      <EmptyState icon={<Construction className="h-8 w-8 text-muted" aria-hidden />} title="Not available on this server">
        This engine does not offer {what} yet. Upgrade the engine to use this page.
      </EmptyState>
    );
  }
  if (error instanceof ApiError && error.status === 403) return <ErrorNote>Only admins can see this page.</ErrorNote>;
  if (error instanceof ApiError && error.status === 429) return <ErrorNote>Too many requests; try again in {error.retryAfterSeconds ?? 'a few'} seconds.</ErrorNote>;
  return <ErrorNote>{error.message}</ErrorNote>;
}
