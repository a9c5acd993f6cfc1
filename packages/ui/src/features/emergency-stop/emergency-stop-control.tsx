/**
 * The emergency stop on every Command Center page (issue 76): a banner for everyone while it is on (nothing is
 * approved or changed), and for admins the switch itself (engage with a reason, confirmed; lift). The state is the
 * engine's (GET /emergency-stop), polled, so a stop engaged on another replica or from `skyflo stop-all` shows here.
 */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { OctagonX } from 'lucide-react';
import { useState } from 'react';
import { ConfirmDialog } from '../../components/confirm-dialog.tsx';
import { Button, Input } from '../../components/ui.tsx';
import { skyflo } from '../../lib/api.ts';

const useEmergencyStop = () => useQuery({ queryKey: ['emergency-stop'], queryFn: () => skyflo.emergencyStop(), refetchInterval: 15_000 });

/** Above every page while the stop is on: what it means, and (admins) the way to lift it. */
export function EmergencyStopBanner({ isAdmin }: { isAdmin: boolean }) {
  const queryClient = useQueryClient();
  const state = useEmergencyStop();
  const lift = useMutation({ mutationFn: () => skyflo.liftEmergencyStop(), onSuccess: () => void queryClient.invalidateQueries({ queryKey: ['emergency-stop'] }) });
  if (state.data?.active !== true) return null;
  return (
    <div className="flex flex-wrap items-center gap-2 border-b border-danger bg-danger/10 px-4 py-2 text-sm" role="alert">
      <span className="min-w-0 flex-1">
        <strong>Emergency stop on</strong> since {new Date(state.data.since ?? 0).toLocaleString()} by {state.data.by}: {state.data.reason}. Nothing is approved or changed until an admin lifts it; reads keep working.
      </span>
      {isAdmin ? (
        <Button size="sm" onClick={() => lift.mutate()} disabled={lift.isPending}>
          Lift the emergency stop
        </Button>
      ) : null}
    </div>
  );
}

/** In the sidebar, for admins, while the stop is off: engage it (with a reason, confirmed). */
export function EmergencyStopButton() {
  const queryClient = useQueryClient();
  const state = useEmergencyStop();
  const [asking, setAsking] = useState(false);
  const [reason, setReason] = useState('');
  const engage = useMutation({
    mutationFn: () => skyflo.engageEmergencyStop(reason.trim()),
    onSuccess: () => {
      setAsking(false);
      setReason('');
      void queryClient.invalidateQueries({ queryKey: ['emergency-stop'] });
    },
  });
  if (state.data?.active !== false) return null;
  return (
    <>
      <button type="button" onClick={() => setAsking(true)} className="flex w-full items-center gap-2 rounded-md px-2.5 py-1.5 text-sm text-danger hover:bg-panel-2">
        <OctagonX className="h-4 w-4" aria-hidden /> Emergency stop
      </button>
      <ConfirmDialog
        open={asking}
        onOpenChange={setAsking}
        title="Stop every change?"
        description={
          <>
            Every replica refuses every approval and every change until an admin lifts it. Why?
            <Input aria-label="Reason" className="mt-2" value={reason} onChange={(event) => setReason(event.target.value)} placeholder="incident 42: bad rollout" />
            {engage.isError ? <span className="mt-2 block text-danger">{engage.error.message}</span> : null}
          </>
        }
        confirmLabel="Engage the emergency stop"
        busy={engage.isPending || !reason.trim()}
        onConfirm={() => engage.mutate()}
      />
    </>
  );
}
