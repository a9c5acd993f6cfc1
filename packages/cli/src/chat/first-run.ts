/**
 * A fresh engine has no account, so a login can only fail ("Incorrect email or password"). Before asking for a
 * password `skyflo chat` asks the engine whether its first account is still to be created (the public
 * GET /auth/is_admin_user the Command Center's sign-up page uses) and, if so, says where it is created; at a
 * terminal, when the engine needs no setup token, it offers to create it right here (the same register call).
 */
import { unreachableError } from '@skyflo/protocol/client';
import { API_PREFIX, engineUnreachable, type ApiClient, type Session } from './api-client.ts';
import type { Context } from './chat-context.ts';
import { ChatError } from './chat-error.ts';
import { wrapLines } from './terminal-rows.ts';

export interface FirstRunState {
  /** no account exists yet: the next registration creates the administrator */
  pending: boolean;
  setupTokenRequired: boolean;
}

/**
 * undefined when the engine does not say (an older engine, a proxy in between): the login goes on as before. Nobody
 * answering at all is said at once (ENGINE_UNREACHABLE), before an email and a password are asked for nothing.
 */
export async function readFirstRunState(baseUrl: string, doFetch: typeof fetch = fetch): Promise<FirstRunState | undefined> {
  let response: Response;
  try {
    response = await doFetch(`${baseUrl.replace(/\/+$/, '')}${API_PREFIX}/auth/is_admin_user`, { headers: { accept: 'application/json' } });
  } catch (error) {
    throw engineUnreachable(baseUrl, unreachableError(error).message);
  }
  if (!response.ok) return undefined;
  try {
    const body = (await response.json()) as { is_admin?: unknown; setup_token_required?: unknown };
    return { pending: body.is_admin === true, setupTokenRequired: body.setup_token_required === true };
  } catch {
    return undefined;
  }
}

export function noAccountYetMessage(baseUrl: string, state: FirstRunState): string {
  return (
    `This engine has no account yet, so there is nothing to log in with. The first account (its administrator) is created in the Command Center: open ${baseUrl} in a browser and sign up` +
    (state.setupTokenRequired ? ' with the setup token the engine printed at start-up' : '') +
    ', then run `skyflo chat` again.'
  );
}

/**
 * Tells the user the engine has no account; at a terminal (and without a setup token) offers to create the first
 * account here. Returns the new session, or throws NOT_LOGGED_IN with where to create it.
 */
export async function handleNoAccountYet(context: Context, client: ApiClient, state: FirstRunState): Promise<Session & { email: string }> {
  const { input, io, palette } = context;
  const message = noAccountYetMessage(client.baseUrl, state);
  if (!input.isTTY || state.setupTokenRequired) throw new ChatError('NOT_LOGGED_IN', message);
  io.stdout.write(`${palette.yellow(wrapLines(message, io.stdout.columns))}\n`);
  const answer = await input.readLine('Create the admin account here? [y/N] ');
  if (answer.kind !== 'line' || !/^y(es)?$/i.test(answer.text.trim())) throw new ChatError('NOT_LOGGED_IN', `No account created. ${message}`);
  for (let attempt = 1; attempt <= 3; attempt++) {
    const email = await input.readLine('Email for the administrator: ');
    if (email.kind !== 'line') break;
    const password = await input.readHidden('Password (not shown): ');
    if (password.kind !== 'line') break;
    const again = await input.readHidden('The same password again: ');
    if (again.kind !== 'line') break;
    if (again.text !== password.text) {
      io.stderr.write(`${palette.red('The two passwords differ; try again.')}\n`);
      continue;
    }
    try {
      await client.register({ email: email.text.trim(), password: password.text });
      const session = await client.login({ email: email.text.trim(), password: password.text });
      io.stdout.write(`${wrapLines(`${palette.green(`Created the administrator account ${email.text.trim()}.`)} ${palette.dim(`Invite your team from the Command Center at ${client.baseUrl}.`)}`, io.stdout.columns)}\n`);
      return { ...session, email: email.text.trim() };
    } catch (error) {
      // the engine says what was wrong (a weak password, an invalid email): show it and ask again
      io.stderr.write(`${palette.red(wrapLines((error as Error).message.replace(/^.*failed with \d+: /, ''), io.stderr.columns))}\n`);
    }
  }
  throw new ChatError('NOT_LOGGED_IN', `No account created. ${message}`);
}
