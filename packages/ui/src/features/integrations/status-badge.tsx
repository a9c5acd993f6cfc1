import { Badge } from '../../components/ui.tsx';

/** One spelling for an integration's state on every card (Jenkins, webhooks, Slack). */
export function StatusBadge({ status }: { status: 'active' | 'disabled' }) {
  return <Badge tone={status === 'active' ? 'ok' : 'neutral'}>{status === 'active' ? 'Active' : 'Disabled'}</Badge>;
}
