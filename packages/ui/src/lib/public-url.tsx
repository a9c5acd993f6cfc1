/**
 * The engine's public address (GET /settings/public-url): links in webhooks and Slack, and the Slack Request URL,
 * are built on it. While it is unknown (no PUBLIC_URL, nothing stored), an admin's browser reports the origin it
 * loaded the Command Center from; the engine keeps it only if no address is known yet and an admin can change it in
 * Settings → Public address. In lib/ because the app shell, Settings and the Integrations page all read it.
 */
import type { PublicUrlSettings, UpdatePublicUrlRequest } from '@skyflo/protocol';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect } from 'react';
import { skyflo } from './api.ts';
import { useMe } from './session.tsx';

export const publicUrlQueryKey = ['settings', 'public-url'] as const;

export function usePublicUrl() {
  const me = useMe();
  return useQuery({ queryKey: publicUrlQueryKey, queryFn: () => skyflo.publicUrl(), enabled: me.isSuccess && Boolean(me.data), retry: false });
}

export function savePublicUrl(body: UpdatePublicUrlRequest): Promise<PublicUrlSettings> {
  return skyflo.savePublicUrl(body);
}

/** In the app shell: the first admin's browser tells the engine where users reach it. */
export function useReportBrowserOrigin() {
  const me = useMe();
  const queryClient = useQueryClient();
  const current = usePublicUrl();
  const unknown = me.data?.role === 'admin' && current.data?.source === 'unknown';
  useEffect(() => {
    if (!unknown) return;
    savePublicUrl({ url: window.location.origin, from_browser: true })
      .then((saved) => queryClient.setQueryData(publicUrlQueryKey, saved))
      .catch(() => undefined); // the Integrations page keeps warning; Settings → Public address sets it by hand
  }, [unknown, queryClient]);
}
