import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import * as Tooltip from '@radix-ui/react-tooltip';
import { lazy, Suspense } from 'react';
import { createBrowserRouter, Navigate, RouterProvider } from 'react-router-dom';
import { ApiError, isMalformedAnswer, onUnauthorized } from '../lib/api.ts';
import { Spinner } from '../components/ui.tsx';
import { FirstRunPage, LoginPage } from '../features/auth/index.tsx';
import { ChatPage, HomePage } from '../features/chat/index.tsx';
import { AppLayout } from './layout.tsx';
import { RequireAuth } from '../lib/session.tsx';

const SettingsPage = lazy(() => import('../features/settings/settings-page.tsx'));
const PendingApprovalsPage = lazy(() => import('../features/approvals/pending-page.tsx'));
const IntegrationsPage = lazy(() => import('../features/integrations/integrations-page.tsx'));
const AuditPage = lazy(() => import('../features/audit/audit-page.tsx'));
const AnalyticsPage = lazy(() => import('../features/analytics/analytics-page.tsx'));

const queryClient = new QueryClient({
  defaultOptions: {
    // a refusal (4xx) or an answer of the wrong shape would come back the same: show it at once instead of retrying
    queries: { retry: (count, error) => !(error instanceof ApiError && error.status < 500) && !isMalformedAnswer(error) && count < 2, refetchOnWindowFocus: false },
  },
});

function Lazy({ children }: { children: React.ReactNode }) {
  return <Suspense fallback={<div className="p-8"><Spinner /></div>}>{children}</Suspense>;
}

const router = createBrowserRouter([
  { path: '/login', element: <LoginPage /> },
  { path: '/welcome', element: <FirstRunPage /> },
  {
    element: (
      <RequireAuth>
        <AppLayout />
      </RequireAuth>
    ),
    children: [
      { path: '/', element: <HomePage /> },
      { path: '/chat/:id', element: <ChatPage /> },
      { path: '/approvals', element: <Lazy><PendingApprovalsPage /></Lazy> },
      { path: '/settings', element: <Lazy><SettingsPage /></Lazy> },
      { path: '/settings/:section', element: <Lazy><SettingsPage /></Lazy> },
      { path: '/integrations', element: <Lazy><IntegrationsPage /></Lazy> },
      { path: '/audit', element: <Lazy><AuditPage /></Lazy> },
      { path: '/analytics', element: <Lazy><AnalyticsPage /></Lazy> },
      { path: '*', element: <NotFound /> },
    ],
  },
  { path: '*', element: <Navigate to="/" replace /> },
]);

function NotFound() {
  return (
    <div className="p-10">
      <h1 className="text-xl font-semibold">Page not found</h1>
      <p className="mt-2 text-sm text-muted">There is nothing at this address. Start a new chat from the sidebar.</p>
    </div>
  );
}

// A session that can no longer be refreshed: sign in again, then come back here.
onUnauthorized(() => {
  queryClient.setQueryData(['me'], null);
  const here = window.location.pathname + window.location.search;
  if (!here.startsWith('/login')) void router.navigate(`/login?next=${encodeURIComponent(here)}`, { replace: true });
});

export function App() {
  return (
    <QueryClientProvider client={queryClient}>
      <Tooltip.Provider delayDuration={300}>
        <RouterProvider router={router} />
      </Tooltip.Provider>
    </QueryClientProvider>
  );
}
