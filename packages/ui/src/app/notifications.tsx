/**
 * The Command Center's live notifications: one SSE stream per tab (GET /notifications/stream) keeps the pending
 * approvals list fresh (the sidebar count, the tab title "(2) Skyflo", the home page's list) without polling, and,
 * when the user opted in, shows a browser notification when a call starts waiting for their decision.
 */
import type { Notification as SkyfloNotification } from '@skyflo/protocol';
import { useQueryClient } from '@tanstack/react-query';
import { useCallback, useEffect, useState } from 'react';
import { readNotification } from '@skyflo/protocol/client';
import { API_BASE, refreshSession } from '../lib/api.ts';
import { pendingApprovalsKey, useWaitingForMe } from '../lib/pending-approvals.tsx';
import { useChatStore } from '../features/chat/state/chat-store.ts';

const OPT_IN_KEY = 'skyflo.desktop-notifications';
const BASE_TITLE = 'Skyflo';


/** Whether browser notifications are on for this browser, and a way to turn them on (asks permission) or off. */
export function useDesktopNotificationsOptIn() {
  const supported = typeof window !== 'undefined' && 'Notification' in window;
  const [enabled, setEnabled] = useState(() => supported && localStorage.getItem(OPT_IN_KEY) === 'on' && window.Notification.permission === 'granted');
  const toggle = useCallback(async () => {
    if (!supported) return;
    if (enabled) {
      localStorage.removeItem(OPT_IN_KEY);
      setEnabled(false);
      return;
    }
    const permission = window.Notification.permission === 'granted' ? 'granted' : await window.Notification.requestPermission();
    if (permission === 'granted') {
      localStorage.setItem(OPT_IN_KEY, 'on');
      setEnabled(true);
    }
  }, [enabled, supported]);
  return { supported, enabled, toggle };
}

function showDesktopNotification(notification: SkyfloNotification, open: (conversationId: string) => void) {
  if (!('Notification' in window) || window.Notification.permission !== 'granted' || localStorage.getItem(OPT_IN_KEY) !== 'on') return;
  const shown = new window.Notification('Skyflo: a change waits for your decision', {
    body: `${notification.summary}${notification.conversation_title ? ` (${notification.conversation_title})` : ''}`,
    tag: `skyflo-${notification.call_id ?? notification.id}`,
  });
  shown.onclick = () => {
    window.focus();
    open(notification.conversation_id);
  };
}

/** Mount once in the signed-in layout: follows the stream, refreshes the pending list, and keeps the tab title. */
export function useNotificationStream(open: (conversationId: string) => void) {
  const queryClient = useQueryClient();
  const waiting = useWaitingForMe();

  useEffect(() => {
    const count = waiting.items.length;
    document.title = count > 0 ? `(${count}${waiting.more ? '+' : ''}) ${BASE_TITLE}` : BASE_TITLE;
  }, [waiting.items.length, waiting.more]);

  useEffect(() => {
    let source: EventSource | undefined;
    let retry: ReturnType<typeof setTimeout> | undefined;
    let stopped = false;
    let failures = 0;
    /** the last call decided per conversation, by notification */
    const decidedElsewhere = new Map<string, string>();
    const connect = () => {
      source = new EventSource(`${API_BASE}/notifications/stream`, { withCredentials: true });
      source.addEventListener('ready', () => {
        failures = 0;
        // anything that happened while disconnected is in the list
        void queryClient.invalidateQueries({ queryKey: pendingApprovalsKey });
      });
      source.addEventListener('notification', (event) => void readNotification((event as MessageEvent<string>).data).then((notification) => {
        // a frame the protocol does not describe is skipped; the list is still refreshed
        if (!notification) return void queryClient.invalidateQueries({ queryKey: pendingApprovalsKey });
        void queryClient.invalidateQueries({ queryKey: pendingApprovalsKey });
        if (notification.kind === 'run.completed') void queryClient.invalidateQueries({ queryKey: ['conversations'] });
        if (notification.kind === 'approval.requested' && notification.can_decide) showDesktopNotification(notification, open);
        // Decided elsewhere (Slack, another tab or approver) while its card is open here: follow the run it resumed, as
        // the card does when its own decision is refused (followDecision ignores this page's own decisions). The
        // notification can arrive before the decision is saved (the follow then sees the call still waiting), so the
        // resumed run's end (run.completed) asks again; by then the timeline is saved.
        const chat = useChatStore.getState();
        if (notification.kind === 'approval.decided' && notification.call_id) decidedElsewhere.set(notification.conversation_id, notification.call_id);
        const decidedCall = decidedElsewhere.get(notification.conversation_id);
        if ((notification.kind === 'approval.decided' || notification.kind === 'run.completed') && decidedCall && chat.conversationId === notification.conversation_id && !chat.deciding) {
          if (notification.kind === 'run.completed') decidedElsewhere.delete(notification.conversation_id);
          void chat.followDecision(decidedCall);
        }
      }));
      source.onerror = () => {
        // The browser reconnects by itself unless the answer was an error (e.g. 401 after the access cookie expired):
        // then refresh the session and reconnect, backing off.
        if (source?.readyState !== EventSource.CLOSED || stopped) return;
        failures += 1;
        retry = setTimeout(() => void refreshSession().finally(() => !stopped && connect()), Math.min(30_000, 1_000 * 2 ** failures));
      };
    };
    connect();
    return () => {
      stopped = true;
      clearTimeout(retry);
      source?.close();
      document.title = BASE_TITLE;
    };
  }, [queryClient, open]);
  return waiting;
}
