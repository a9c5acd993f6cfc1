/**
 * Settings → Profile → Device keys (issue 35 item 4): the terminals (`skyflo chat --register-device`) that sign your
 * approvals of passkey-required changes. A terminal's key is pending until you confirm it here with your passkey; the
 * link the terminal prints (/settings?device_key=<id>) opens this section on that key, with its fingerprint to compare.
 */
import { useEffect, useRef } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useLocation } from 'react-router-dom';
import { skyflo } from '../../lib/api.ts';
import { confirmDeviceKey } from '../../lib/passkeys.ts';
import { Button, ErrorNote } from '../../components/ui.tsx';

export function DeviceKeysSection() {
  const queryClient = useQueryClient();
  const { search } = useLocation();
  const asked = new URLSearchParams(search).get('device_key');
  const keys = useQuery({ queryKey: ['auth', 'device-keys'], queryFn: () => skyflo.deviceKeys() });
  const refresh = () => void queryClient.invalidateQueries({ queryKey: ['auth', 'device-keys'] });
  const confirm = useMutation({ mutationFn: (id: string) => confirmDeviceKey(id), onSuccess: refresh });
  const remove = useMutation({ mutationFn: (id: string) => skyflo.removeDeviceKey(id), onSuccess: refresh });
  const pending = keys.data?.data.find((key) => key.id === asked && key.status === 'pending');
  // The terminal's link opens Settings on this key: bring its confirmation into view (on a phone it sits below the
  // profile and passkeys), once, when it appears.
  const confirmBox = useRef<HTMLDivElement>(null);
  const pendingId = pending?.id;
  useEffect(() => {
    if (pendingId) confirmBox.current?.scrollIntoView({ block: 'center' });
  }, [pendingId]);

  return (
    <section className="rounded-lg border border-border bg-panel p-5" aria-label="Device keys">
      <h2 className="font-semibold">Device keys</h2>
      <p className="mb-4 mt-0.5 text-sm text-muted">
        A terminal running <code>skyflo chat</code> signs your approvals of passkey-protected changes with its own key, once you confirmed that key here with your passkey. The other admins are told.
      </p>
      {pending ? (
        <div ref={confirmBox} className="mb-3 rounded-md border border-border bg-panel-2 p-3 text-sm" role="group" aria-label="Confirm device key">
          <p>
            Confirm <span className="font-medium">{pending.name}</span> — check that your terminal shows the fingerprint <code className="break-all">{pending.fingerprint}</code>.
          </p>
          <Button type="button" variant="primary" className="mt-2" disabled={confirm.isPending} onClick={() => confirm.mutate(pending.id)}>
            {confirm.isPending ? 'Waiting for the passkey…' : 'Confirm with my passkey'}
          </Button>
        </div>
      ) : null}
      {confirm.isError ? <ErrorNote>{confirm.error.message}</ErrorNote> : null}
      {confirm.isSuccess ? <p role="status" className="mb-2 text-sm text-ok">Device key confirmed: the terminal can now sign your approvals.</p> : null}
      {keys.isError ? <ErrorNote>{keys.error.message}</ErrorNote> : null}
      <ul className="divide-y divide-border" aria-label="Your device keys">
        {keys.data?.data.map((key) => (
          <li key={key.id} className="flex flex-wrap items-center justify-between gap-2 py-2 text-sm">
            <span>
              <span className="font-medium">{key.name}</span> <span className="text-muted">{key.status === 'active' ? 'confirmed' : 'pending'} · {key.fingerprint.slice(0, 16)}…</span>
            </span>
            <Button type="button" variant="danger" aria-label={`Remove device key ${key.name}`} disabled={remove.isPending} onClick={() => remove.mutate(key.id)}>
              Remove
            </Button>
          </li>
        ))}
        {keys.data && keys.data.data.length === 0 ? <li className="py-2 text-sm text-muted">No device key yet (run skyflo chat --register-device).</li> : null}
      </ul>
    </section>
  );
}
