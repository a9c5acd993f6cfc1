/** The pure parts of `skyflo chat`: the benchmark flag mapping, options, approval card, Markdown stream, token store. */
import { mkdtempSync, readFileSync, statSync, writeFileSync, chmodSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { AgentEvent } from '@skyflo/protocol';
import { describe, expect, it } from 'vitest';
import { cardBudget, diffPage, firstDiffPage, formatApprovalCard, type AwaitingApproval } from '../../src/chat/approval-card.ts';
import { llmModelFrom, normalizeGoBooleans } from '../../src/chat/benchmark-contract.ts';
import { configDirFor } from '../../src/chat/chat-environment.ts';
import { parseChatOptions } from '../../src/chat/chat-options.ts';
import { createPalette } from '../../src/chat/colors.ts';
import { createMarkdownRenderer, createMarkdownStream } from '../../src/chat/markdown.ts';
import { createRenderer } from '../../src/chat/renderer.ts';
import { createTokenStore } from '../../src/chat/token-store.ts';

describe('benchmark contract flags', () => {
  it('accepts Go-style booleans as k8s-ai-bench writes them, and maps --skip-permissions to --approve-all', () => {
    expect(normalizeGoBooleans(['--quiet=true', '--enable-tool-use-shim=false', '--model', 'x', '--json=1'])).toEqual(['--quiet', '--model', 'x', '--json']);
    const options = parseChatOptions(['--kubeconfig', '/k', '--llm-provider', 'gemini', '--enable-tool-use-shim=false', '--quiet=true', '--model', 'gemini-2.5-pro', '--trace-path', '/t', '--skip-permissions', '--show-tool-output', '--mcp-client']);
    expect(options).toMatchObject({ kubeconfig: '/k', llmProvider: 'gemini', model: 'gemini-2.5-pro', quiet: true, approveAll: true, tracePath: '/t', showToolOutput: true });
    expect(parseChatOptions(['--quiet=false']).quiet).toBe(false);
  });

  it.each([
    [{ provider: 'gemini', model: 'gemini-2.5-pro' }, 'google/gemini-2.5-pro'],
    [{ provider: 'openai', model: 'gpt-4o' }, 'openai/gpt-4o'],
    [{ provider: 'azopenai', model: 'my-deployment' }, 'azure/my-deployment'],
    [{ provider: 'ollama', model: 'llama3.1' }, 'ollama/llama3.1'],
    [{ model: 'anthropic/claude-sonnet-4-5' }, 'anthropic/claude-sonnet-4-5'],
    [{}, undefined],
  ])('%j → LLM_MODEL %s', (input, expected) => expect(llmModelFrom(input)).toBe(expected));

  it('refuses what it cannot map, saying what to pass instead', () => {
    expect(() => llmModelFrom({ provider: 'vertexai', model: 'gemini-2.5-pro' })).toThrow(/--llm-provider gemini with GEMINI_API_KEY/);
    expect(() => llmModelFrom({ model: 'gpt-4o' })).toThrow(/needs a provider: pass --llm-provider too, or write it as provider\/model \(e\.g\. openai\/gpt-4o\)/);
    expect(() => parseChatOptions(['--bogus'])).toThrow(/Unknown option '--bogus'/);
    expect(() => parseChatOptions(['-p', 'a', 'b'])).toThrow(/either with -p or as an argument/);
  });
});

describe('approval card', () => {
  const event = (extra: Partial<AwaitingApproval> = {}): AwaitingApproval => ({
    type: 'tool.awaiting_approval',
    call_id: 'call_1',
    tool: 'helm_rollback',
    title: 'Roll back a Helm release',
    args: { release_name: 'web', revision: 3, namespace: 'shop' },
    args_hash: 'f'.repeat(64),
    diff: '--- live\n+++ would-be\n@@ -1 +1 @@\n-  image: nginx:1.72\n+  image: nginx:1.27\n',
    context: { conversation_id: 'c', approval_decisions: {} },
    ...extra,
  });

  it('shows every field the engine explains a call with, high risks first', () => {
    const card = formatApprovalCard(
      event({
        destructive: true,
        policy_reason: "'helm_rollback' may change state (readOnlyHint is not true)",
        risks: [
          { code: 'SECRET_CHANGE', message: 'changes a Secret', severity: 'medium' },
          { code: 'SCALE_TO_ZERO', message: 'takes web offline', severity: 'high' },
        ],
        resolution: ['revision: previous → 3 (image nginx:1.27)'],
        artifact_digest: 'sha256:abc123',
        requested_by: { id: 'u1', email: 'ada@example.com' },
      }),
      { palette: createPalette(false) },
    );
    expect(card).toContain('Approval needed: Roll back a Helm release (helm_rollback)  DESTRUCTIVE');
    expect(card).toMatch(/asked by +ada@example\.com/);
    expect(card).toMatch(/why +'helm_rollback' may change state/);
    expect(card.indexOf('SCALE_TO_ZERO')).toBeLessThan(card.indexOf('SECRET_CHANGE'));
    expect(card).toMatch(/risk +HIGH SCALE_TO_ZERO: takes web offline/);
    expect(card).toMatch(/resolved +revision: previous → 3 \(image nginx:1\.27\)/);
    expect(card).toMatch(/artifact +sha256:abc123/);
    expect(card).toMatch(/│ {3}-  image: nginx:1\.72\n│ {3}\+  image: nginx:1\.27/);
    expect(card).toContain(`args hash ${'f'.repeat(64)}`);
  });

  it('colours the diff, and says why there is none when the preview failed', () => {
    const coloured = formatApprovalCard(event(), { palette: createPalette(true) });
    expect(coloured).toContain('\x1b[32m+  image: nginx:1.27');
    expect(coloured).toContain('\x1b[31m-  image: nginx:1.72');
    const noDiff = formatApprovalCard(event({ diff: undefined, preview_error: 'the API server is unreachable\nTry: check the kubeconfig' }), { palette: createPalette(false) });
    expect(noDiff).toMatch(/no diff +the API server is unreachable\n│ +Try: check the kubeconfig/);
  });

  it("on a phone's terminal (44×30) every row of the card fits under its border with its words whole, and its foot names the call and cluster again", () => {
    const palette = createPalette(false);
    const reason = 'Changes the cluster: rolls back helm release shop/web to revision 3 — approval policy self (APPROVAL_POLICY=self)';
    const phone = event({ cluster: { name: 'prod-eu', server: 'https://prod-eu.example.com:6443' }, namespace: 'shop', policy_reason: reason, requested_by: { id: 'u1', email: 'sam@example.com' }, diff: Array.from({ length: 30 }, (_, index) => `+  line ${index} of a long manifest that a narrow terminal has to wrap`).join('\n') });
    const card = formatApprovalCard(phone, { palette, columns: 44, rows: 30, ...cardBudget(30, phone, 44) });
    const rows = card.split('\n');
    for (const row of rows) {
      expect(row.length, row).toBeLessThanOrEqual(44);
      expect(row, 'a row without the card\'s border').toMatch(/^(│|╭─|╰─| {3}\S)/);
    }
    // the policy reason reads whole when its rows are put back together: no word cut at the terminal's edge
    const why = rows.findIndex((row) => row.startsWith('│ why'));
    let end = why + 1;
    while (/^│ {11}\S/.test(rows[end] ?? '')) end++;
    expect(rows.slice(why, end).map((row) => row.slice(12)).join(' ')).toBe(reason);
    // the diff gave up the rows the wrapping took, down to its least (4 lines)
    expect(rows.filter((row) => row.includes('line '))).toHaveLength(4);
    // taller than the screen: its header has scrolled away when the keys are pressed, so the foot says it again
    expect(rows.slice(-6).join('\n')).toMatch(/↑ deciding helm_rollback on prod-eu ·\s+(│\s+)?namespace shop/);
    // a terminal wide and tall enough shows the card as it was, without the reminder
    const wide = formatApprovalCard(phone, { palette, columns: 160, rows: 80, ...cardBudget(80, phone, 160) });
    expect(wide).not.toContain('↑ deciding');
    expect(wide).toContain(`why       ${reason}`);
  });

  it('a diff cut to fit the screen shows the lines it changes (not its headers and context), and [m] pages the whole diff from its start', () => {
    const palette = createPalette(false);
    const diff = [
      'deployment.apps/payments scaled (server dry run)',
      '',
      '--- live/deployment.apps/payments',
      '+++ would-be/deployment.apps/payments',
      '@@ -11,7 +11,7 @@',
      '   namespace: prod',
      ' spec:',
      '   progressDeadlineSeconds: 600',
      '-  replicas: 3',
      '+  replicas: 0',
      '   revisionHistoryLimit: 10',
      '   selector:',
      '     matchLabels:',
    ].join('\n');
    const scale = event({ tool: 'k8s_scale', title: 'Scale', args: { name: 'payments', namespace: 'prod', replicas: 0 }, diff });
    const card = formatApprovalCard(scale, { palette, maxDiffLines: 4 });
    expect(card).toContain('diff (dry run): the lines it changes');
    expect(card).toMatch(/│ {3}- {2}replicas: 3\n│ {3}\+ {2}replicas: 0\n/);
    expect(card).toContain('the whole diff: 13 lines ([m])');
    // and its keys say what [m] shows: the whole diff, from its first line (not "more" of what the card showed)
    expect(card).toContain('[m] the whole diff');
    expect(card).not.toContain('more of the diff');
    expect(card).not.toContain('--- live/deployment.apps/payments');
    // [m] starts at the diff's first line
    expect(firstDiffPage(scale, 4)).toBe(0);
    expect(diffPage(scale, { palette, from: 0, count: 4 }).text).toMatch(/deployment\.apps\/payments scaled \(server dry run\)[\s\S]*… lines 1–4 of 13 \(\[m\] more\)/);
    // the whole diff fits: shown as it is, headers and all, and nothing to page
    expect(formatApprovalCard(scale, { palette, maxDiffLines: 20 })).toContain('--- live/deployment.apps/payments');
    expect(firstDiffPage(scale, 20)).toBeUndefined();
    // several objects: each run of changes keeps the line naming its object (a diff header, a chart's "# Source:")
    const twoObjects = event({
      diff: ['--- live/deployment.apps/api', '+++ would-be/deployment.apps/api', '@@ -1,3 +1,3 @@', '   a: 1', '-  replicas: 2', '+  replicas: 0', '   b: 2', '--- live/deployment.apps/web', '+++ would-be/deployment.apps/web', '@@ -1,3 +1,3 @@', '   a: 1', '-  replicas: 5', '+  replicas: 0', '   b: 2'].join('\n'),
    });
    expect(formatApprovalCard(twoObjects, { palette, maxDiffLines: 8 })).toMatch(/\+\+\+ would-be\/deployment\.apps\/api\n│ {3}- {2}replicas: 2\n│ {3}\+ {2}replicas: 0\n│ {3}\+\+\+ would-be\/deployment\.apps\/web\n│ {3}- {2}replicas: 5\n│ {3}\+ {2}replicas: 0\n/);
    const chart = event({ diff: ['--- web (revision 3)', '+++ web (upgrade)', '@@ -10,6 +10,6 @@', ' # Source: web/templates/deployment.yaml', ' kind: Deployment', ' spec:', '-  replicas: 2', '+  replicas: 4', ' x', ' y', ' z', ' w'].join('\n') });
    expect(formatApprovalCard(chart, { palette, maxDiffLines: 4 })).toMatch(/# Source: web\/templates\/deployment\.yaml\n│ {3}- {2}replicas: 2\n│ {3}\+ {2}replicas: 4\n/);
    // a cut diff without a changed line (nothing to pick out) is shown from its top, and [m] goes on after it
    const listing = event({ diff: Array.from({ length: 10 }, (_, index) => `  line ${index}`).join('\n') });
    expect(formatApprovalCard(listing, { palette, maxDiffLines: 4 })).toContain('… 6 more diff lines of 10 ([m] more)');
    expect(formatApprovalCard(listing, { palette, maxDiffLines: 4 })).toContain('[m] more of the diff');
    expect(firstDiffPage(listing, 4)).toBe(4);
  });

  it('rewrites a status line that wrapped on a narrow terminal whole: up to its first row, then erased to the end', () => {
    let out = '';
    const renderer = createRenderer({ style: 'tty', palette: createPalette(false), colors: false, out: { write: (text: string) => (out += text), columns: 30 }, err: { write: () => {} } });
    const call = { type: 'tool.executing' as const, conversation_id: 'c', run_id: 'r', call_id: 'call_1', tool: 'argo_rollouts_promote_full', title: 'Promote a rollout', args: { name: 'checkout', namespace: 'prod' } };
    renderer.event(call);
    renderer.event({ ...call, type: 'tool.result', result: [{ type: 'text', text: 'promoted' }] });
    const [running, result] = out.split('\x1b[2A\r\x1b[J');
    expect(running).toMatch(/^⏵ argo_rollouts_promote_full .*running…\n$/);
    expect(result).toMatch(/^✓ argo_rollouts_promote_full .* 1 line\n$/);
  });

  it('a failed call whose reason does not fit beside it has the reason under it, whole and wrapped at spaces; a short one stays on the line', () => {
    let out = '';
    const renderer = createRenderer({ style: 'tty', palette: createPalette(false), colors: false, out: { write: (text: string) => (out += text), columns: 60 }, err: { write: () => {} } });
    const reason = 'Not executed: the dry-run preview of k8s_scale found no target, so nobody was asked to approve it and nothing changed.';
    const call = { conversation_id: 'c', run_id: 'r', call_id: 'call_1', tool: 'k8s_scale', title: 'Scale', args: { name: 'web', namespace: 'shop', replicas: 0 } };
    renderer.event({ ...call, type: 'tool.error', error: reason, code: 'TARGET_NOT_FOUND' });
    const rows = out.replace(/\n$/, '').split('\n');
    expect(rows[0]).toBe('✗ k8s_scale name=web namespace=shop replicas=0');
    for (const row of rows) expect(row.length, out).toBeLessThanOrEqual(60);
    expect(rows.slice(1).map((row) => row.trim()).join(' ')).toBe(`${reason} [TARGET_NOT_FOUND]`);
    out = '';
    renderer.event({ ...call, call_id: 'call_2', type: 'tool.error', error: 'forbidden', code: 'FORBIDDEN' });
    expect(out).toMatch(/^✗ k8s_scale name=web [^\n]* forbidden \[FORBIDDEN\]\n$/);
    expect(out.length).toBeLessThanOrEqual(61);
  });

  it('a failed call shows every line of its reason under it (issue 73 item 6: a refusal says what to do on its later lines)', () => {
    let out = '';
    const renderer = createRenderer({ style: 'tty', palette: createPalette(false), colors: false, out: { write: (text: string) => (out += text), columns: 60 }, err: { write: () => {} } });
    const reason = 'Not executed: the target of k8s_scale changed after it was approved — replicas 2 → 4\nNothing was changed. Inspect the current state and propose the change again if it is still right.';
    renderer.event({ conversation_id: 'c', run_id: 'r', call_id: 'call_1', tool: 'k8s_scale', title: 'Scale', args: { name: 'web', replicas: 3 }, type: 'tool.error', error: reason, code: 'TARGET_CHANGED' });
    const rows = out.replace(/\n$/, '').split('\n');
    expect(rows[0]).toBe('✗ k8s_scale name=web replicas=3');
    for (const row of rows) expect(row.length, out).toBeLessThanOrEqual(60);
    for (const row of rows.slice(1)) expect(row.startsWith('    '), out).toBe(true);
    expect(rows.slice(1).map((row) => row.trim()).join(' ')).toBe(`${reason.replace('\n', ' ')} [TARGET_CHANGED]`);
  });

  it('an error at a terminal wraps at its spaces, its path whole', () => {
    let out = '';
    const renderer = createRenderer({ style: 'tty', palette: createPalette(false), colors: false, out: { write: (text: string) => (out += text), columns: 40 }, err: { write: () => {} } });
    renderer.error('GET /api/v1/conversations/nope failed with 404: Conversation not found');
    expect(out).toBe('error: GET /api/v1/conversations/nope\n  failed with 404: Conversation not\n  found\n');
  });

  it("a decision's reason, typed by a person, wraps at its spaces under the decision", () => {
    let out = '';
    const renderer = createRenderer({ style: 'tty', palette: createPalette(false), colors: false, out: { write: (text: string) => (out += text), columns: 40 }, err: { write: () => {} } });
    const reason = 'change freeze until Monday; ask the release manager before touching checkout';
    renderer.event({ type: 'tool.denied', conversation_id: 'c', run_id: 'r', call_id: 'call_1', tool: 'k8s_delete', title: 'Delete', args: { name: 'web' }, reason, decided_by_email: 'sam@example.com' });
    const rows = out.replace(/\n$/, '').split('\n');
    for (const row of rows) expect(row.length, out).toBeLessThanOrEqual(40);
    expect(rows.map((row) => row.trim()).join(' ')).toBe(`✗ denied k8s_delete: ${reason} · by sam@example.com`);
  });

  it('cuts long multi-line arguments until the full args are asked for', () => {
    const manifest = Array.from({ length: 40 }, (_, index) => `line ${index}`).join('\n');
    const apply = event({ tool: 'k8s_apply', title: 'Apply', args: { content: manifest, dry_run: false }, diff: undefined });
    const short = formatApprovalCard(apply, { palette: createPalette(false) });
    expect(short).toContain('line 11');
    expect(short).not.toContain('line 12');
    expect(short).toContain('… 28 more lines (f: full args)');
    expect(formatApprovalCard(apply, { palette: createPalette(false), full: true })).toContain('line 39');
  });
});

describe('Markdown while it streams', () => {
  const render = createMarkdownRenderer({ width: 80, colors: false });

  it('renders lines as they complete, and holds a code fence until it closes', () => {
    const stream = createMarkdownStream(render);
    expect(stream.push('The **web** pod is ')).toBe('');
    expect(stream.push('`CrashLoopBackOff`.\n\n- one\n')).toBe('The web pod is CrashLoopBackOff.\n\n  * one\n');
    expect(stream.push('```yaml\nreplicas: 2\n')).toBe('');
    expect(stream.push('```\nDone')).toContain('replicas: 2');
    expect(stream.flush()).toBe('Done\n');
  });

  it('renders a stopped answer cut inside a bold or code span as Markdown, not with its opener shown', () => {
    for (const [cut, shown] of [
      ['Finding **bold 3** in `pod-3`.\n\nFinding **bold', 'Finding bold'],
      ['Finding **bold ', 'Finding bold'],
      ['Finding **bold 4** in `pod-', 'Finding bold 4 in pod-'],
      ['Finding **bold 4** in `', 'Finding bold 4 in'],
    ] as const) {
      const stream = createMarkdownStream(render);
      const rendered = stream.push(cut) + stream.flush();
      expect(rendered.trimEnd().split('\n').at(-1)).toBe(shown);
    }
    // a complete last line is left as it is: a lone `*` or a closed span
    for (const done of ['3 * 4 = 12', 'It is **done**.', 'Run `kubectl get pods`']) {
      const stream = createMarkdownStream(render);
      expect(stream.push(done) + stream.flush()).toBe(`${render(done).trimEnd()}\n`);
    }
  });

  it('has no escape codes without colours', () => {
    expect(createMarkdownRenderer({ width: 80, colors: false })('# Title\n\n**bold** and `code`')).not.toMatch(/\x1b\[/);
  });
});

describe('plain output (stdout is not a terminal)', () => {
  it('prints Running: per executed call, tool output on request, and the answer as it streams', () => {
    let out = '';
    let err = '';
    const renderer = createRenderer({ style: 'plain', palette: createPalette(false), colors: false, out: { write: (text: string) => (out += text) }, err: { write: (text: string) => (err += text) }, showToolOutput: true });
    const identity = { call_id: 'c1', tool: 'k8s_get', title: 'Get', args: { resource_type: 'pods' } };
    const events: AgentEvent[] = [
      { type: 'token', text: 'Looking…', tokens_generated: 1 },
      { type: 'tool.executing', ...identity },
      { type: 'tool.result', ...identity, result: [{ type: 'text', text: 'NAME  READY\napi   1/1\n' }] },
      { type: 'token', text: 'All ', tokens_generated: 1 },
      { type: 'token', text: 'good.', tokens_generated: 2 },
      { type: 'completed', status: 'stopped', duration: 1, duration_ms: 1000 },
    ];
    for (const event of events) renderer.event(event);
    expect(out).toBe('Looking…\nRunning: k8s_get {"resource_type":"pods"}\nNAME  READY\napi   1/1\nAll good.\n');
    expect(err).toBe('skyflo: the run was stopped\n');
  });
});

describe('token store', () => {
  it('keeps one login per engine in a 0600 file inside a 0700 folder', () => {
    const configDir = path.join(mkdtempSync(path.join(tmpdir(), 'skyflo-store-')), 'skyflo');
    const store = createTokenStore({ configDir, warn: () => undefined });
    store.save('http://127.0.0.1:8080/', { accessToken: 'a1', refreshToken: 'r1', email: 'ada@example.com' });
    store.save('https://skyflo.example.com', { accessToken: 'a2' });
    expect(statSync(store.file).mode & 0o777).toBe(0o600);
    expect(statSync(configDir).mode & 0o777).toBe(0o700);
    expect(store.load('http://127.0.0.1:8080')).toEqual({ accessToken: 'a1', refreshToken: 'r1', email: 'ada@example.com' });
    store.remove('http://127.0.0.1:8080');
    expect(store.load('http://127.0.0.1:8080')).toBeUndefined();
    expect(store.load('https://skyflo.example.com')).toEqual({ accessToken: 'a2' });
  });

  it('narrows a file others can read, and survives a corrupt one', () => {
    const configDir = mkdtempSync(path.join(tmpdir(), 'skyflo-store-'));
    const warnings: string[] = [];
    const store = createTokenStore({ configDir, warn: (message) => warnings.push(message) });
    mkdirSync(configDir, { recursive: true });
    writeFileSync(store.file, '{not json');
    chmodSync(store.file, 0o640);
    expect(store.load('http://127.0.0.1:8080')).toBeUndefined();
    expect(statSync(store.file).mode & 0o777).toBe(0o600);
    expect(warnings).toEqual([expect.stringMatching(/readable by other users \(mode 640\)/), expect.stringMatching(/not a credentials file/)]);
    store.save('http://127.0.0.1:8080', { accessToken: 'a' });
    expect(JSON.parse(readFileSync(store.file, 'utf8'))).toMatchObject({ version: 1, servers: { 'http://127.0.0.1:8080': { access_token: 'a' } } });
  });

  it('lives in the platform\'s per-user config folder', () => {
    expect(configDirFor({ XDG_CONFIG_HOME: '/x/config' }, 'linux', '/home/ada')).toBe('/x/config/skyflo');
    expect(configDirFor({}, 'linux', '/home/ada')).toBe('/home/ada/.config/skyflo');
    expect(configDirFor({ XDG_CONFIG_HOME: 'relative' }, 'linux', '/home/ada')).toBe('/home/ada/.config/skyflo');
    expect(configDirFor({}, 'darwin', '/Users/ada')).toBe('/Users/ada/Library/Application Support/skyflo');
    expect(configDirFor({ APPDATA: 'C:\\Users\\ada\\AppData\\Roaming' }, 'win32', 'C:\\Users\\ada')).toMatch(/Roaming[\\/]skyflo$/);
  });
});
