import * as DropdownMenu from '@radix-ui/react-dropdown-menu';
import { useQueryClient } from '@tanstack/react-query';
import { BarChart3, Bell, BellOff, ChevronsUpDown, FileClock, LogOut, Menu, Plug, Plus, Search, Settings, ShieldCheck } from 'lucide-react';
import { useCallback, useEffect, useState } from 'react';
import { NavLink, Outlet, useLocation, useNavigate } from 'react-router-dom';
import { skyflo } from '../lib/api.ts';
import { Kbd } from '../components/ui.tsx';
import { HistoryList, SearchDialog } from '../features/history/index.tsx';
import { useChatStore } from '../features/chat/state/chat-store.ts';
import { useMe } from '../lib/session.tsx';
import { useDesktopNotificationsOptIn, useNotificationStream } from './notifications.tsx';
import { useReportBrowserOrigin } from '../lib/public-url.tsx';
import { endProviderSession } from '../features/auth/oidc-sign-in.tsx';
import { EmergencyStopBanner, EmergencyStopButton } from '../features/emergency-stop/emergency-stop-control.tsx';

const navItem = ({ isActive }: { isActive: boolean }) =>
  `flex items-center gap-2 rounded-md px-2.5 py-1.5 text-sm ${isActive ? 'bg-panel-2 font-medium text-fg' : 'text-muted hover:bg-panel-2 hover:text-fg'}`;

export function AppLayout() {
  const me = useMe();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const [searchOpen, setSearchOpen] = useState(false);
  // below 1024 px (tablets) the sidebar is a drawer opened from the top bar
  const [navOpen, setNavOpen] = useState(false);
  const location = useLocation();
  useEffect(() => setNavOpen(false), [location.pathname]);
  const openConversation = useCallback((id: string) => navigate(`/chat/${id}`), [navigate]);
  const waitingForMe = useNotificationStream(openConversation);
  const desktop = useDesktopNotificationsOptIn();
  useReportBrowserOrigin();

  // Live title updates and re-ordering after each run.
  useEffect(() => {
    useChatStore.setState({ onConversationChanged: () => void queryClient.invalidateQueries({ queryKey: ['conversations'] }) });
  }, [queryClient]);

  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if ((event.metaKey || event.ctrlKey) && event.key.toLowerCase() === 'k') {
        event.preventDefault();
        setSearchOpen(true);
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);

  async function logout() {
    await skyflo.logout().catch(() => {});
    useChatStore.getState().close();
    queryClient.clear();
    queryClient.setQueryData(['me'], null);
    if (await endProviderSession()) return;
    navigate('/login', { replace: true });
  }

  const user = me.data;
  return (
    <div className="flex h-full">
      <a href="#main" className="sr-only focus:not-sr-only focus:absolute focus:z-50 focus:bg-panel focus:p-2">
        Skip to content
      </a>
      {navOpen ? <div className="fixed inset-0 z-30 bg-black/40 lg:hidden" onClick={() => setNavOpen(false)} aria-hidden /> : null}
      <aside className={`${navOpen ? 'fixed inset-y-0 left-0 z-40 flex shadow-xl' : 'hidden'} w-64 shrink-0 flex-col border-r border-border bg-panel lg:static lg:flex lg:shadow-none`} aria-label="Sidebar">
        <div className="flex items-center gap-2 px-4 py-3">
          <div className="flex h-7 w-7 items-center justify-center rounded-md bg-accent text-sm font-bold text-accent-fg" aria-hidden>
            S
          </div>
          <span className="font-semibold">Skyflo</span>
          <span className="ml-auto rounded bg-panel-2 px-1.5 py-0.5 text-[11px] uppercase tracking-wide text-muted">Command Center</span>
        </div>
        <div className="space-y-1 px-3">
          <NavLink to="/" end className={navItem}>
            <Plus className="h-4 w-4" aria-hidden /> New chat
          </NavLink>
          <button type="button" onClick={() => setSearchOpen(true)} className="flex w-full items-center gap-2 rounded-md px-2.5 py-1.5 text-sm text-muted hover:bg-panel-2 hover:text-fg">
            <Search className="h-4 w-4" aria-hidden /> Search chats
            {/* the shortcut only where there is a keyboard to press it */}
            <span className="ml-auto hidden lg:inline">
              <Kbd>Ctrl K</Kbd>
            </span>
          </button>
        </div>
        <nav aria-label="Conversation history" className="mt-3 min-h-0 flex-1 overflow-y-auto px-3">
          <HistoryList />
        </nav>
        <nav aria-label="Pages" className="space-y-0.5 border-t border-border px-3 py-2">
          <NavLink to="/approvals" className={navItem}>
            <ShieldCheck className="h-4 w-4" aria-hidden /> Pending approvals
            {waitingForMe.items.length > 0 ? (
              <span className="ml-auto rounded-full bg-accent px-1.5 text-xs font-semibold text-accent-fg" aria-label={`${waitingForMe.items.length}${waitingForMe.more ? ' or more' : ''} waiting for your decision`} data-testid="pending-count">
                {waitingForMe.items.length}{waitingForMe.more ? '+' : ''}
              </span>
            ) : null}
          </NavLink>
          {desktop.supported ? (
            <button type="button" onClick={() => void desktop.toggle()} aria-pressed={desktop.enabled} className="flex w-full items-center gap-2 rounded-md px-2.5 py-1.5 text-sm text-muted hover:bg-panel-2 hover:text-fg">
              {desktop.enabled ? <Bell className="h-4 w-4" aria-hidden /> : <BellOff className="h-4 w-4" aria-hidden />}
              {desktop.enabled ? 'Desktop notifications on' : 'Notify me of approvals'}
            </button>
          ) : null}
          <NavLink to="/integrations" className={navItem}>
            <Plug className="h-4 w-4" aria-hidden /> Integrations
          </NavLink>
          {user?.role === 'admin' ? (
            <NavLink to="/audit" className={navItem}>
              <FileClock className="h-4 w-4" aria-hidden /> Audit
            </NavLink>
          ) : null}
          <NavLink to="/analytics" className={navItem}>
            <BarChart3 className="h-4 w-4" aria-hidden /> Analytics
          </NavLink>
          <NavLink to="/settings" className={navItem}>
            <Settings className="h-4 w-4" aria-hidden /> Settings
          </NavLink>
          {user?.role === 'admin' ? <EmergencyStopButton /> : null}
        </nav>
        <div className="border-t border-border p-2">
          <DropdownMenu.Root>
            <DropdownMenu.Trigger className="flex w-full items-center gap-2 rounded-md px-2 py-1.5 text-left hover:bg-panel-2" aria-label="Account menu">
              <span className="flex h-7 w-7 items-center justify-center rounded-full bg-panel-2 text-xs font-semibold uppercase" aria-hidden>
                {(user?.full_name || user?.email || '?').slice(0, 1)}
              </span>
              <span className="min-w-0 flex-1">
                <span className="block truncate text-sm font-medium">{user?.full_name || user?.email}</span>
                <span className="block truncate text-xs text-muted">{user?.role}</span>
              </span>
              <ChevronsUpDown className="h-4 w-4 text-muted" aria-hidden />
            </DropdownMenu.Trigger>
            <DropdownMenu.Portal>
              <DropdownMenu.Content side="top" align="start" className="z-50 min-w-52 rounded-md border border-border bg-panel p-1 shadow-lg">
                <DropdownMenu.Label className="px-2 py-1 text-xs text-muted">{user?.email}</DropdownMenu.Label>
                <DropdownMenu.Item onSelect={() => navigate('/settings')} className="flex cursor-pointer items-center gap-2 rounded px-2 py-1.5 text-sm outline-none data-[highlighted]:bg-panel-2">
                  <Settings className="h-4 w-4" aria-hidden /> Settings
                </DropdownMenu.Item>
                <DropdownMenu.Item onSelect={() => void logout()} className="flex cursor-pointer items-center gap-2 rounded px-2 py-1.5 text-sm text-danger outline-none data-[highlighted]:bg-panel-2">
                  <LogOut className="h-4 w-4" aria-hidden /> Log out
                </DropdownMenu.Item>
              </DropdownMenu.Content>
            </DropdownMenu.Portal>
          </DropdownMenu.Root>
        </div>
      </aside>
      {/* overflow-clip, not overflow-hidden: a hidden-overflow box is still a scroll container, so following a link to
          #section (or scrollIntoView) scrolled the whole shell up and left a blank band; a clipped box cannot scroll */}
      <main id="main" className="flex min-w-0 flex-1 flex-col overflow-clip">
        <div className="flex h-11 shrink-0 items-center gap-2 border-b border-border px-3 lg:hidden">
          <button type="button" onClick={() => setNavOpen(true)} aria-label="Open the sidebar" className="rounded p-1.5 hover:bg-panel-2">
            <Menu className="h-5 w-5" aria-hidden />
          </button>
          <span className="font-semibold">Skyflo</span>
        </div>
        <EmergencyStopBanner isAdmin={user?.role === 'admin'} />
        <div className="min-h-0 flex-1">
          <Outlet />
        </div>
      </main>
      <SearchDialog open={searchOpen} onOpenChange={setSearchOpen} />
    </div>
  );
}
