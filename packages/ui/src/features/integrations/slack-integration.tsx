/**
 * Slack on the Integrations page (issue 37 item 10): connect (bot token, signing secret, channel; both secrets are
 * write-only), test (auth.test and a test message in the channel), delete, and the Interactivity Request URL to paste
 * into the Slack app, absolute (the engine's public address) and copyable.
 */
import { SLACK_INTERACTIONS_PATH, type SlackIntegration } from '@skyflo/protocol';
import { Link } from 'react-router-dom';
import { usePublicUrl } from '../../lib/public-url.tsx';
import { Field, Input } from '../../components/ui.tsx';
import { AddChatForm, CallbackUrl, ChatCard } from './chat-integration.tsx';

/** At the top of the Integrations page while the engine does not know its public address. */
export function PublicUrlWarning() {
  const publicUrl = usePublicUrl();
  if (publicUrl.data?.source !== 'unknown') return null;
  return (
    <div role="status" className="rounded-md border border-warn/50 bg-warn/10 px-3 py-2 text-sm" data-testid="public-url-unknown">
      Skyflo does not know its public address yet, so links in webhooks and Slack messages are relative and the Slack Request URL cannot be given. An admin sets it by opening the Command Center in a browser, in{' '}
      <Link to="/settings/server" className="font-medium text-accent underline">
        Settings → Public address
      </Link>
      , or with PUBLIC_URL on the server.
    </div>
  );
}

/** The Request URL, absolute (the engine's public address) and copyable; unknown while the address is. */
export const SlackRequestUrl = () => <CallbackUrl path={SLACK_INTERACTIONS_PATH} title="Interactivity Request URL" copyName="Request URL" where="Paste it in your Slack app under Interactivity & Shortcuts → Request URL." testId="slack-request-url" />;

export function SlackCard({ slack, admin, onChanged }: { slack: SlackIntegration; admin: boolean; onChanged: () => void }) {
  return (
    <ChatCard integration={slack} chat="Slack" badge="Slack" testId="slack-card" admin={admin} onChanged={onChanged} tested={(user) => `Connected as ${user ?? 'the bot'}; a test message was posted in ${slack.metadata.channel}.`} callback={<SlackRequestUrl />}>
      Approval requests go to channel {slack.metadata.channel} with Approve / Deny buttons; bot token …{slack.credentials.bot_token_last4}{slack.metadata.api_url ? `; Web API ${slack.metadata.api_url}` : ''}.
    </ChatCard>
  );
}

export function AddSlackForm({ onCreated }: { onCreated: () => void }) {
  return (
    <AddChatForm
      title="Add Slack"
      intro="Approval requests are posted to a channel with Approve / Deny buttons; a click decides as the Skyflo user with the same e-mail. The token and secret are stored encrypted and never shown again."
      callback={<SlackRequestUrl />}
      submit="Connect Slack"
      onCreated={onCreated}
      request={(form) => {
        const apiUrl = String(form.get('api_url') ?? '').trim();
        return {
          provider: 'slack',
          name: String(form.get('name') || 'slack'),
          metadata: { channel: String(form.get('channel') ?? ''), ...(apiUrl ? { api_url: apiUrl } : {}) },
          credentials: { bot_token: String(form.get('bot_token') ?? ''), signing_secret: String(form.get('signing_secret') ?? '') },
        };
      }}
    >
      <Field label="Name" htmlFor="slack-name">
        <Input id="slack-name" name="name" placeholder="ops" />
      </Field>
      <Field label="Channel ID" htmlFor="slack-channel" hint="Channel details → the ID at the bottom (C0123456789); invite the app there.">
        <Input id="slack-channel" name="channel" required placeholder="C0123456789" />
      </Field>
      <Field label="Bot token" htmlFor="slack-token" hint="OAuth & Permissions → Bot User OAuth Token (xoxb-…); scopes chat:write, users:read, users:read.email.">
        <Input id="slack-token" name="bot_token" type="password" required autoComplete="off" pattern="xoxb-.*" />
      </Field>
      <Field label="Signing secret" htmlFor="slack-secret" hint="Basic Information → App Credentials → Signing Secret.">
        <Input id="slack-secret" name="signing_secret" type="password" required minLength={16} autoComplete="off" />
      </Field>
      <Field label="Web API URL (optional)" htmlFor="slack-api" hint="Leave empty for https://slack.com/api; only for a proxy in front of Slack or a test server.">
        <Input id="slack-api" name="api_url" type="url" placeholder="https://slack.com/api" />
      </Field>
    </AddChatForm>
  );
}
