/** The flags of `skyflo chat`, parsed once (node:util parseArgs) into a checked options object. */
import { parseArgs } from 'node:util';
import { normalizeGoBooleans } from './benchmark-contract.ts';
import { ChatError } from './chat-error.ts';

export const chatUsage = `Usage: skyflo chat [options] [question]

A terminal client of a running Skyflo engine: asks, streams the answer, and asks you to approve every change.

Options:
  --url <url>            engine to talk to (default: SKYFLO_URL or http://127.0.0.1:8080)
  -p, --prompt <text>    one-shot: ask, stream the answer, exit (a question given as the last argument, or
                         text piped on stdin, does the same)
  -r, --resume <id>      continue a conversation (see --list)
  --context <name>       start the conversation on this cluster (a kubeconfig context the engine knows; an
                         unknown name lists the known ones). Without it: the engine's default cluster
  -l, --list             list your conversations, newest first
  --json                 print the event stream as JSON lines (one validated event per line) instead of text
  -q, --quiet            only tool calls and the answer: no thinking, usage or progress notices
  --approve-all          approve every change without asking. For evaluation in throw-away clusters only: each
                         approval is printed on stderr and recorded in the audit as automatic, by your account
  --login                log in again (asks for email and password; the password is not echoed)
  --email <address>      the email to log in with (default: asked)
  --logout               forget the stored login and end its refresh token: of --url (or SKYFLO_URL), else of the
                         one engine a login is stored for
  --register-device      create this terminal's device key (Ed25519, device-key.json in the config folder, 0600)
                         and register it; waits until you confirm it with your passkey in the Command Center.
                         Then [a] signs calls that need a passkey with it (without one, the card links to the browser)
  -h, --help             show this help

Login: the first run asks for your email and password and keeps the tokens (access and refresh) in
credentials.json in your config folder (XDG_CONFIG_HOME/skyflo or ~/.config/skyflo on Linux,
~/Library/Application Support/skyflo on macOS, %APPDATA%\\skyflo on Windows), readable by you only.
SKYFLO_TOKEN=<access token> uses that token instead. An API token (sky_…, Settings → API tokens) needs the
scope chat to ask, and approvals:write to approve or deny at the cards: a chat-only token leaves them pending.

In a session: type a question; /new starts a new conversation, /list lists them, /resume <id> switches,
/context lists the clusters (/context <name> starts a new conversation on that one),
/help shows this, /quit or Ctrl-D leaves. Ctrl-C stops the running answer (the engine ends it as "stopped");
a second Ctrl-C quits. At an approval: [a] approve, [d] deny with a reason, [f] show the full arguments.

Exit status of a one-shot run: 0 when the run completed (including when you denied a change and the agent
finished without it); 1 when it ended stopped or with an error, when a change still waits for approval (stdin
is not a terminal and --approve-all was not given: decide it in the UI), or when the engine could not be used;
2 for invalid options; 130 after a second Ctrl-C.

Agent benchmark contract (k8s-ai-bench runs agents with these flags, the prompt on stdin):
  --kubeconfig <path>    start an embedded engine (temporary PGlite, embedded MCP server on this cluster,
                         127.0.0.1 port 0, a throw-away account) unless --url is given; stopped at the end
  --llm-provider <name>  model provider for the embedded engine (gemini, openai, anthropic, ollama, bedrock,
                         azopenai, openai-compatible, …); with --model it becomes LLM_MODEL=<provider>/<model>
  --model <id>           model id (or provider/model); keys come from the usual variables (OPENAI_API_KEY…)
  --skip-permissions     the same as --approve-all
  --trace-path <file>    also write every event as a JSON line to this file
  --show-tool-output     print each tool's output under its "Running:" line
  --enable-tool-use-shim, --mcp-client   accepted for compatibility; Skyflo always uses native tool calls over MCP
  Boolean flags also accept Go's --flag=true|false. When stdout is not a terminal, each executed tool call is
  printed as "Running: <tool> <json args>" and the answer follows as plain text.
`;

export interface ChatOptions {
  url?: string;
  prompt?: string;
  resume?: string;
  /** the cluster a new conversation is pinned to */
  context?: string;
  list: boolean;
  json: boolean;
  quiet: boolean;
  approveAll: boolean;
  login: boolean;
  logout: boolean;
  /** --register-device: register this terminal's device key (issue 35) */
  registerDevice: boolean;
  email?: string;
  help: boolean;
  kubeconfig?: string;
  llmProvider?: string;
  model?: string;
  tracePath?: string;
  showToolOutput: boolean;
}

export function parseChatOptions(argv: string[]): ChatOptions {
  let parsed;
  try {
    parsed = parseArgs({
      args: normalizeGoBooleans(argv),
      strict: true,
      allowPositionals: true,
      options: {
        url: { type: 'string' },
        prompt: { type: 'string', short: 'p' },
        resume: { type: 'string', short: 'r' },
        context: { type: 'string' },
        list: { type: 'boolean', short: 'l' },
        json: { type: 'boolean' },
        quiet: { type: 'boolean', short: 'q' },
        'approve-all': { type: 'boolean' },
        login: { type: 'boolean' },
        logout: { type: 'boolean' },
        'register-device': { type: 'boolean' },
        email: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
        kubeconfig: { type: 'string' },
        'llm-provider': { type: 'string' },
        model: { type: 'string' },
        'skip-permissions': { type: 'boolean' },
        'trace-path': { type: 'string' },
        'show-tool-output': { type: 'boolean' },
        'enable-tool-use-shim': { type: 'boolean' },
        'mcp-client': { type: 'boolean' },
      },
    });
  } catch (error) {
    throw new ChatError('INVALID_OPTIONS', (error as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.prompt !== undefined && positionals.length > 0) {
    throw new ChatError('INVALID_OPTIONS', `give the question either with -p or as an argument, not both (got extra "${positionals.join(' ')}")`);
  }
  const prompt = values.prompt ?? (positionals.length > 0 ? positionals.join(' ') : undefined);
  if (prompt !== undefined && !prompt.trim()) throw new ChatError('INVALID_OPTIONS', '-p needs a non-empty question');
  if (values.url !== undefined && !/^https?:\/\/[^\s/]+/.test(values.url)) throw new ChatError('INVALID_OPTIONS', `--url must be an http(s) URL such as http://127.0.0.1:8080, got "${values.url}"`);
  if (values.url !== undefined && values.kubeconfig !== undefined) {
    throw new ChatError('INVALID_OPTIONS', '--kubeconfig starts an embedded engine on that cluster; with --url the engine uses its own cluster. Give one of them.');
  }
  if (values.list && (prompt !== undefined || values.resume !== undefined)) throw new ChatError('INVALID_OPTIONS', '--list cannot be combined with a question or --resume');
  if (values.context !== undefined && !values.context.trim()) throw new ChatError('INVALID_OPTIONS', '--context needs a cluster name');
  if (values.context !== undefined && (values.resume !== undefined || values.list)) {
    throw new ChatError('INVALID_OPTIONS', '--context starts a new conversation on that cluster; a resumed conversation stays on the cluster it was started on. Give one of them.');
  }
  return {
    ...(values.url !== undefined ? { url: values.url } : {}),
    ...(prompt !== undefined ? { prompt } : {}),
    ...(values.resume !== undefined ? { resume: values.resume } : {}),
    ...(values.context !== undefined ? { context: values.context.trim() } : {}),
    list: values.list ?? false,
    json: values.json ?? false,
    quiet: values.quiet ?? false,
    approveAll: (values['approve-all'] ?? false) || (values['skip-permissions'] ?? false),
    login: values.login ?? false,
    logout: values.logout ?? false,
    registerDevice: values['register-device'] ?? false,
    ...(values.email !== undefined ? { email: values.email } : {}),
    help: values.help ?? false,
    ...(values.kubeconfig !== undefined ? { kubeconfig: values.kubeconfig } : {}),
    ...(values['llm-provider'] !== undefined ? { llmProvider: values['llm-provider'] } : {}),
    ...(values.model !== undefined ? { model: values.model } : {}),
    ...(values['trace-path'] !== undefined ? { tracePath: values['trace-path'] } : {}),
    showToolOutput: values['show-tool-output'] ?? false,
  };
}
