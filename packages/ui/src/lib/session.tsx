/**
 * Who is signed in, from GET /auth/me (cookies only: the browser holds the HttpOnly session, this code never sees
 * a token). Guards send a fresh install to the first-run page, an anonymous visitor to login (and back after),
 * and refresh the session quietly before the access cookie expires.
 */
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, type ReactNode } from 'react';
import { Navigate, useLocation } from 'react-router-dom';
import type { UserRead } from '@skyflo/protocol/client';
import { ApiError, refreshSession, skyflo } from './api.ts';
import { Spinner } from '../components/ui.tsx';

/** the signed-in user as GET /auth/me answers (checked by the typed client) */
export type Me = UserRead;

/** The engine's access cookie lives 15 minutes by default; refresh well before. */
const REFRESH_EVERY_MS = 10 * 60_000;

/** GET /auth/is_admin_user: `has_session` is there only when the request carried a session cookie */
export type AdminCheck = Awaited<ReturnType<typeof skyflo.isAdminUser>>;

const adminCheckQuery = { queryKey: ['admin-check'], queryFn: () => skyflo.isAdminUser(), staleTime: 30_000 };

export function useAdminCheck() {
  return useQuery(adminCheckQuery);
}

export function useMe() {
  const queryClient = useQueryClient();
  return useQuery({
    queryKey: ['me'],
    queryFn: async () => {
      // Ask once: /auth/is_admin_user (which the guard needs anyway, so the request is shared) says whether any
      // session cookie came with it. Without one the visitor is signed out, and asking /auth/me and then
      // /auth/refresh would only log two 401s in the console before the same redirect.
      const check = await queryClient.fetchQuery({ ...adminCheckQuery, staleTime: 0 });
      if (!check.has_session) return null;
      try {
        return await skyflo.me({ renew: false });
      } catch (error) {
        // An expired access cookie with a live refresh cookie: rotate once, then ask again.
        if (error instanceof ApiError && error.status === 401 && (await refreshSession())) return skyflo.me({ renew: false });
        if (error instanceof ApiError && error.status === 401) return null;
        throw error;
      }
    },
    staleTime: 60_000,
    retry: false,
  });
}

function FullPage({ children }: { children: ReactNode }) {
  return <div className="flex h-full items-center justify-center p-6">{children}</div>;
}

export function RequireAuth({ children }: { children: ReactNode }) {
  const location = useLocation();
  const adminCheck = useAdminCheck();
  const me = useMe();
  const queryClient = useQueryClient();

  useEffect(() => {
    if (!me.data) return;
    const timer = setInterval(() => {
      void refreshSession().then((ok) => {
        if (!ok) void queryClient.invalidateQueries({ queryKey: ['me'] });
      });
    }, REFRESH_EVERY_MS);
    return () => clearInterval(timer);
  }, [me.data, queryClient]);

  if (adminCheck.data?.is_admin) return <Navigate to="/welcome" replace />;
  if (me.isPending || adminCheck.isPending) {
    return (
      <FullPage>
        <Spinner label="Connecting to the engine…" />
      </FullPage>
    );
  }
  if (me.isError) {
    return (
      <FullPage>
        <div role="alert" className="max-w-md text-center">
          <p className="font-semibold">The engine is not reachable</p>
          <p className="mt-1 text-sm text-muted">{me.error instanceof Error ? me.error.message : 'Unknown error'} — check that `skyflo serve` is running, then reload.</p>
        </div>
      </FullPage>
    );
  }
  if (!me.data) return <Navigate to={`/login?next=${encodeURIComponent(location.pathname + location.search)}`} replace />;
  return <>{children}</>;
}
