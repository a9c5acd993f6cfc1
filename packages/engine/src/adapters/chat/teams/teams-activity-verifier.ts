/**
 * Verifies an activity Teams sends the bot (a card click) as the Bot Framework SDK does, with Microsoft's own code
 * (botframework-connector's BotFrameworkAuthentication): the `Authorization: Bearer` JWT is signed by a key of the
 * channel's OpenID metadata (JWKS, endorsed for the activity's channel), issued by https://api.botframework.com, for
 * the bot's app id (audience), not expired (5 minutes' clock tolerance, the SDK's), and its `serviceurl` claim equals
 * the activity's serviceUrl. The metadata URL is TEAMS_OPENID_METADATA_URL (default Microsoft's); the emulator path
 * is pointed at the same metadata, so a token the channel did not sign is refused there too.
 *
 * The JWT covers the sender, not the body, and the channel reuses one token for many activities; so each activity id
 * is accepted once across every engine on the database (a settings claim, as Slack's signatures are), keyed by the
 * token's expiry so claims the expiry check refuses anyway are pruned.
 */
import { createHash } from 'node:crypto';
import type { BotFrameworkAuthentication } from 'botframework-connector';
import type { ExpiringSettings, SettingsStore } from '../../../platform/ports/index.ts';
import { createOnceClaims } from '../../../app/integrations/chat-approvals/once-claims.ts';

/**
 * Microsoft's channel metadata: the default of TEAMS_OPENID_METADATA_URL (AuthenticationConstants.
 * ToBotFromChannelOpenIdMetadataUrl, written out so the SDK loads only when Teams sends something).
 */
export const BOT_FRAMEWORK_OPENID_METADATA_URL = 'https://login.botframework.com/v1/.well-known/openidconfiguration';

/** The SDK (and the Azure packages it pulls in) loads on the first activity: most installations never connect Teams. */
let sdk: Promise<typeof import('botframework-connector')> | undefined;
const loadSdk = async () => {
  // a CommonJS package: named exports under tsx and bundlers, only `default` under Node's own ESM loader
  sdk ??= import('botframework-connector').then((module) => ('BotFrameworkAuthenticationFactory' in module ? module : (module as { default: typeof import('botframework-connector') }).default));
  return sdk;
};
export const TEAMS_ACTIVITY_PREFIX = 'teams.activity.';
/** the SDK's clock tolerance: a token this long past its expiry is still accepted, so its claim must outlive it */
const TOLERANCE_SECONDS = 300;

export interface TeamsBot {
  appId: string;
  appPassword: string;
  tenantId: string;
}

export interface TeamsActivity {
  id?: string;
  type?: string;
  name?: string;
  channelId?: string;
  serviceUrl?: string;
  from?: { id?: string; aadObjectId?: string; name?: string };
  conversation?: { id?: string };
  replyToId?: string;
  value?: unknown;
}

export interface TeamsActivityVerifierDeps {
  openIdMetadataUrl: string;
  settings: Pick<SettingsStore, 'putIfAbsent'> & ExpiringSettings;
  now: () => Date;
  logger?: { error(object: unknown, message?: string): void };
}

export interface TeamsActivityVerifier {
  /** why the activity is refused, or undefined when the channel signed it for this bot and it is seen the first time */
  verify(bot: TeamsBot, authorization: string | undefined, activity: TeamsActivity): Promise<string | undefined>;
}

export function createTeamsActivityVerifier(deps: TeamsActivityVerifierDeps): TeamsActivityVerifier {
  const claims = createOnceClaims({ settings: deps.settings, prefix: TEAMS_ACTIVITY_PREFIX, pruneAfterSeconds: 2 * TOLERANCE_SECONDS, pruneFailure: 'could not prune old Teams activity claims', ...(deps.logger ? { logger: deps.logger } : {}) });
  // one authenticator per bot credentials: it keeps the SDK's metadata and key cache between activities
  const authenticators = new Map<string, BotFrameworkAuthentication>();

  const authenticatorFor = async (bot: TeamsBot): Promise<BotFrameworkAuthentication> => {
    const key = createHash('sha256').update(`${bot.appId}\n${bot.appPassword}\n${bot.tenantId}`).digest('hex');
    let authenticator = authenticators.get(key);
    if (!authenticator) {
      const { AuthenticationConfiguration, AuthenticationConstants, BotFrameworkAuthenticationFactory, PasswordServiceClientCredentialFactory } = await loadSdk();
      authenticators.clear();
      authenticator = BotFrameworkAuthenticationFactory.create(
        '',
        true,
        AuthenticationConstants.ToChannelFromBotLoginUrl,
        AuthenticationConstants.ToChannelFromBotOAuthScope,
        AuthenticationConstants.ToBotFromChannelTokenIssuer,
        AuthenticationConstants.OAuthUrl,
        deps.openIdMetadataUrl,
        deps.openIdMetadataUrl,
        'urn:botframework:azure',
        new PasswordServiceClientCredentialFactory(bot.appId, bot.appPassword, bot.tenantId),
        new AuthenticationConfiguration(),
      );
      authenticators.set(key, authenticator);
    }
    return authenticator;
  };

  return {
    async verify(bot, authorization, activity) {
      if (!authorization?.trim()) return 'no Bot Framework token (Authorization: Bearer …)';
      if (!bot.appId) return 'the Teams integration has no app id';
      let expiry: number;
      try {
        // the SDK reads the activity's channelId (key endorsements) and serviceUrl (the serviceurl claim)
        const result = await (await authenticatorFor(bot)).authenticateRequest(activity as never, authorization);
        expiry = Number(result.claimsIdentity.getClaimValue('exp'));
        if (!Number.isFinite(expiry)) return 'the Bot Framework token has no expiry';
      } catch (error) {
        return `the Bot Framework token was refused: ${error instanceof Error ? error.message : String(error)}`;
      }
      if (activity.channelId !== 'msteams') return `activities from channel ${String(activity.channelId)} are not accepted (only msteams)`;
      if (!activity.id) return 'the activity has no id';
      const nowSeconds = Math.floor(deps.now().getTime() / 1000);
      return (await claims.claim(expiry, activity.id, nowSeconds)) ? undefined : 'this activity was already received (a replay)';
    },
  };
}
