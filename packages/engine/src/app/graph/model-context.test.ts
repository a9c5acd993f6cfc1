import type { ModelMessage } from 'ai';
import { describe, expect, it } from 'vitest';
import { clampTitle, fallbackTitle, parseTitleReply } from '../agent/generate-title.ts';
import { exposeTools, toModelTools } from './tool-exposure.ts';
import { trimContext } from './trim-context.ts';
import { toToolInfo } from '../../domain/tools/classify-tool.ts';
import { injectJenkinsArgs, stripJenkinsArgs, stripJenkinsSchema } from '../../domain/tools/jenkins-args.ts';

const user = (content: string): ModelMessage => ({ role: 'user', content });
const assistant = (content: string): ModelMessage => ({ role: 'assistant', content });
const call = (id: string): ModelMessage => ({ role: 'assistant', content: [{ type: 'tool-call', toolCallId: id, toolName: 'k8s_get', input: {} }] });
const result = (id: string): ModelMessage => ({ role: 'tool', content: [{ type: 'tool-result', toolCallId: id, toolName: 'k8s_get', output: { type: 'text', value: 'ok' } }] });

describe('context trimming', () => {
  it('keeps the first user message and the most recent messages within the limit', () => {
    const history = [user('first'), assistant('a1'), user('u2'), assistant('a2'), user('u3'), assistant('a3')];
    expect(trimContext(history, 3)).toEqual([user('first'), user('u3'), assistant('a3')]);
    expect(trimContext(history, 40)).toEqual(history);
  });

  it('never starts with a tool result whose call was cut off, and drops unpaired calls', () => {
    const history = [user('first'), call('c1'), result('c1'), call('c2'), result('c2'), assistant('done'), call('c3')];
    const trimmed = trimContext(history, 4);
    // the window widens back to c2's call instead of keeping an orphan result; c3 has no result yet and is dropped
    expect(trimmed).toEqual([user('first'), call('c2'), result('c2'), assistant('done')]);
    expect(trimContext([user('first'), call('c1'), result('c1')], 1)).toEqual([user('first'), call('c1'), result('c1')]);
  });
});

describe('tool message pairing', () => {
  it('moves results right after their call and keeps one result per call', () => {
    const late = [user('first'), call('c1'), user('interrupting message'), result('c1'), result('c1')];
    expect(trimContext(late, 40)).toEqual([user('first'), call('c1'), result('c1'), user('interrupting message')]);
  });
});

describe('titles', () => {
  it.each([
    ['{"title": "Scale Web Deployment"}', 'Scale Web Deployment'],
    ['Sure! ```json\n{"title":"Debug CrashLoop Pods."}\n```', 'Debug CrashLoop Pods'],
    ['{"title": ""}', undefined],
    ['no json', undefined],
    ['{"title": 42}', undefined],
  ])('parses %j', (reply, title) => {
    expect(parseTitleReply(reply)).toBe(title);
  });

  it('falls back to the first six words, or "New Conversation", at most 60 characters', () => {
    expect(fallbackTitle('why is my payments deployment crashlooping in prod today')).toBe('why is my payments deployment crashlooping');
    expect(fallbackTitle('   ')).toBe('New Conversation');
    expect(clampTitle('x'.repeat(100))).toHaveLength(60);
  });
});

describe('tool exposure', () => {
  const tool = (name: string, readOnlyHint?: boolean, extra: Record<string, unknown> = {}) =>
    toToolInfo({ name, inputSchema: { type: 'object', properties: {} }, annotations: readOnlyHint === undefined ? undefined : { readOnlyHint }, _meta: extra });
  const catalogue = [tool('k8s_get', true), tool('k8s_scale', false), tool('helm_list_releases', true), tool('helm_upgrade', false), tool('jenkins_get_job', true), tool('wait_for_x_seconds', true), tool('mystery_tool', true)];

  it('default: k8s read-only tools only (plus load_toolset)', () => {
    expect(exposeTools(catalogue, {}, { jenkinsAvailable: false }).map((item) => item.name)).toEqual(['k8s_get', 'wait_for_x_seconds']);
    expect(Object.keys(toModelTools(exposeTools(catalogue, {}, { jenkinsAvailable: false })))).toEqual(['load_toolset', 'k8s_get', 'wait_for_x_seconds']);
  });

  it('loading a toolset adds its read-only tools; write tools only with include_write_tools', () => {
    expect(exposeTools(catalogue, { helm: false }, { jenkinsAvailable: false }).map((item) => item.name)).toContain('helm_list_releases');
    expect(exposeTools(catalogue, { helm: false }, { jenkinsAvailable: false }).map((item) => item.name)).not.toContain('helm_upgrade');
    expect(exposeTools(catalogue, { helm: true, k8s: true }, { jenkinsAvailable: false }).map((item) => item.name)).toEqual(
      expect.arrayContaining(['helm_upgrade', 'k8s_scale']),
    );
  });

  it('jenkins stays hidden without an integration; tools with no toolset are never offered', () => {
    expect(exposeTools(catalogue, { jenkins: true }, { jenkinsAvailable: false }).map((item) => item.name)).not.toContain('jenkins_get_job');
    expect(exposeTools(catalogue, { jenkins: true }, { jenkinsAvailable: true }).map((item) => item.name)).toContain('jenkins_get_job');
    expect(exposeTools(catalogue, { k8s: true, helm: true }, { jenkinsAvailable: true }).map((item) => item.name)).not.toContain('mystery_tool');
  });

  it('reads the MCP server metadata: toolset, tags and preview tool', () => {
    const info = toToolInfo({ name: 'k8s_scale', inputSchema: {}, _meta: { 'skyflo/toolset': 'k8s', 'skyflo/tags': ['k8s', 'write'], 'skyflo/preview': 'k8s_diff' } });
    expect(info).toMatchObject({ toolset: 'k8s', tags: ['k8s', 'write'], preview: { tool: 'k8s_diff' } });
  });
});

describe('jenkins arguments', () => {
  it('never shows engine-injected arguments to the model or in events, and injects the integration values', () => {
    const schema = { type: 'object', properties: { jobFullName: {}, api_url: {}, credentials_ref: {} }, required: ['jobFullName', 'api_url', 'credentials_ref'] };
    expect(stripJenkinsSchema(schema)).toEqual({ type: 'object', properties: { jobFullName: {} }, required: ['jobFullName'] });
    expect(stripJenkinsArgs({ jobFullName: 'a', api_url: 'http://evil', credentials_ref: 'ns/x' })).toEqual({ jobFullName: 'a' });
    expect(injectJenkinsArgs({ jobFullName: 'a', api_url: 'http://evil' }, { apiUrl: 'http://jenkins', credentialsRef: 'skyflo/jenkins-cred' })).toEqual({
      jobFullName: 'a',
      api_url: 'http://jenkins',
      credentials_ref: 'skyflo/jenkins-cred',
    });
  });
});
