/**
 * Microsoft Teams on the Integrations page (issue 39): connect (the Azure Bot's app id, app password — write-only —,
 * tenant, the conversation approval cards go to), test (a bot token and a test message in the conversation), delete,
 * and the messaging endpoint to paste into the Azure Bot, absolute (the engine's public address) and copyable.
 */
import { TEAMS_MESSAGES_PATH, type TeamsIntegration } from '@skyflo/protocol';
import { Field, Input } from '../../components/ui.tsx';
import { AddChatForm, CallbackUrl, ChatCard } from './chat-integration.tsx';

/** The messaging endpoint, absolute and copyable; unknown while the public address is. */
export const TeamsMessagingEndpoint = () => <CallbackUrl path={TEAMS_MESSAGES_PATH} title="Messaging endpoint" copyName="messaging endpoint" where="Paste it in the Azure Bot under Settings → Configuration → Messaging endpoint." testId="teams-messaging-endpoint" />;

export function TeamsCard({ teams, admin, onChanged }: { teams: TeamsIntegration; admin: boolean; onChanged: () => void }) {
  return (
    <ChatCard integration={teams} chat="Teams" badge="Microsoft Teams" testId="teams-card" admin={admin} onChanged={onChanged} tested={() => 'Connected; a test message was posted in the conversation.'} callback={<TeamsMessagingEndpoint />}>
      Approval cards go to conversation {teams.metadata.conversation_id} with Approve / Deny; bot {teams.metadata.app_id} in tenant {teams.metadata.tenant_id}, app password …{teams.credentials.app_password_last4}; connector {teams.metadata.service_url}.
    </ChatCard>
  );
}

export function AddTeamsForm({ onCreated }: { onCreated: () => void }) {
  return (
    <AddChatForm
      title="Add Microsoft Teams"
      intro="Approval requests are posted to a Teams channel as cards with Approve / Deny; a click decides as the Skyflo user with the same e-mail. The app password is stored encrypted and never shown again."
      callback={<TeamsMessagingEndpoint />}
      submit="Connect Teams"
      onCreated={onCreated}
      request={(form) => {
        const serviceUrl = String(form.get('service_url') ?? '').trim();
        const loginUrl = String(form.get('login_url') ?? '').trim();
        return {
          provider: 'teams',
          name: String(form.get('name') || 'teams'),
          metadata: { app_id: String(form.get('app_id') ?? ''), tenant_id: String(form.get('tenant_id') ?? ''), conversation_id: String(form.get('conversation_id') ?? ''), ...(serviceUrl ? { service_url: serviceUrl } : {}), ...(loginUrl ? { login_url: loginUrl } : {}) },
          credentials: { app_password: String(form.get('app_password') ?? '') },
        };
      }}
    >
      <Field label="Name" htmlFor="teams-name">
        <Input id="teams-name" name="name" placeholder="ops" />
      </Field>
      <Field label="Microsoft App ID" htmlFor="teams-app-id" hint="Azure Bot → Configuration → Microsoft App ID.">
        <Input id="teams-app-id" name="app_id" required autoComplete="off" />
      </Field>
      <Field label="App password" htmlFor="teams-password" hint="A client secret of the bot's app registration (Certificates & secrets).">
        <Input id="teams-password" name="app_password" type="password" required minLength={8} autoComplete="off" />
      </Field>
      <Field label="Tenant ID" htmlFor="teams-tenant" hint="The Entra tenant of the app registration (single-tenant bots).">
        <Input id="teams-tenant" name="tenant_id" required autoComplete="off" />
      </Field>
      <Field label="Conversation ID" htmlFor="teams-conversation" hint="The channel to post to (19:…@thread.tacv2); install the bot's app in its team.">
        <Input id="teams-conversation" name="conversation_id" required placeholder="19:…@thread.tacv2" />
      </Field>
      <Field label="Bot Framework service URL (optional)" htmlFor="teams-service" hint="Leave empty for https://smba.trafficmanager.net/teams/; only for a regional URL, a proxy or a test channel.">
        <Input id="teams-service" name="service_url" type="url" placeholder="https://smba.trafficmanager.net/teams/" />
      </Field>
      <Field label="Token service URL (optional)" htmlFor="teams-login" hint="Leave empty for https://login.microsoftonline.com; only for a proxy or a test channel.">
        <Input id="teams-login" name="login_url" type="url" placeholder="https://login.microsoftonline.com" />
      </Field>
    </AddChatForm>
  );
}
