/**
 * Issue 80 item 7: `npm run sandbox` works without any model key. The engine is built as `skyflo sandbox` builds it
 * when LLM_MODEL is unset — the demo model's settings handed over as configuration, the sandbox's enforcing cluster
 * and executor — and a newcomer's first conversation is played through: the diagnosis of the crash-looping checkout
 * (every answer labelled "Demo model:"), the rollback proposed as a card that waits, approved by the person, and the
 * cluster really rolled back. Anything else gets an answer saying what the demo knows and how to use a real model.
 */
import { sandboxRunbooksDir } from '@skyflo/sandbox/kube-sim';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoModelName, startDemoModel, type DemoModel } from '../../src/sandbox-demo-model.ts';
import { startSandboxEngine, type Frame, type SandboxEngine } from './harness.ts';

let box: SandboxEngine;
let model: DemoModel;

const kubectl = (...args: string[]) => box.kubectl(...args);
const stream = (pathname: string, payload: unknown) => box.stream(pathname, payload);
const answerOf = (frames: Frame[]) => frames.filter((frame) => frame.event === 'token').map((frame) => String(frame.data['text'])).join('');
const ask = (content: string, conversationId?: string) => stream('/api/v1/agent/chat', { messages: [{ role: 'user', content }], ...(conversationId ? { conversation_id: conversationId } : {}) });

beforeAll(async () => {
  // a newcomer's environment: no model named anywhere
  model = await startDemoModel({ PATH: process.env['PATH'] });
  box = await startSandboxEngine({ ...model.env, RUNBOOKS_DIR: sandboxRunbooksDir });
}, 180_000);

afterAll(async () => {
  await box?.close();
  await model?.close();
});

describe('the sandbox without a model key', () => {
  it('says the demo model is in use, and stays out of the way when a model is configured', async () => {
    expect(model.env['LLM_MODEL']).toBe(`openai-compatible/${demoModelName}`);
    expect(model.lines.join('\n')).toMatch(/demo model .*set LLM_MODEL for a real one/);
    const configured = await startDemoModel({ LLM_MODEL: 'openai/gpt-4o' });
    expect([configured.env, configured.lines]).toEqual([{}, []]);
    // Settings → Model names it
    const settings = await fetch(`${box.url}/api/v1/settings/llm`, { headers: { authorization: `Bearer ${box.token}` } });
    expect(settings.status).toBe(200);
    expect(await settings.json()).toMatchObject({ model: demoModelName, source: 'environment' });
  });

  it('diagnoses the crash-looping checkout, proposes the rollback as a card, and rolls back once the person approves', async () => {
    const diagnosis = await ask('why is the checkout pod in prod crash-looping?');
    expect(diagnosis.find((frame) => frame.event === 'tool.result' && frame.data['tool'] === 'k8s_describe'), JSON.stringify(diagnosis.filter((frame) => frame.event === 'tool.error'))).toBeDefined();
    const explained = answerOf(diagnosis);
    expect(explained).toMatch(/Demo model: \*\*checkout\*\* in \*\*prod\*\* crash-loops/);
    expect(explained).toContain('postgres-primary.prod.svc.cluster.local');
    // the sandbox's own runbook for it is offered with the question (the chip on the answer)
    expect(diagnosis.filter((frame) => frame.event === 'runbook.used').map((frame) => JSON.stringify(frame.data))).toEqual([expect.stringContaining('pod-crash-looping.md')]);
    const conversationId = String(diagnosis[0]!.data['conversation_id']);
    expect(await kubectl('get', 'deployment', 'checkout', '-n', 'prod', '-o', 'jsonpath={.spec.template.spec.containers[0].env[0].value}')).toContain('postgres-primary');

    const proposed = await ask('ok, roll it back', conversationId);
    const card = proposed.find((frame) => frame.event === 'tool.awaiting_approval');
    expect(card?.data['tool'], JSON.stringify(proposed.map((frame) => [frame.event, frame.data['error'] ?? '']))).toBe('k8s_rollout_undo');
    expect(card!.data['args']).toMatchObject({ name: 'checkout', namespace: 'prod', to_revision: 1 });
    expect(String(card!.data['diff'] ?? '')).toContain('postgres.prod.svc.cluster.local');
    // nothing changed while the card waits
    expect(await kubectl('get', 'deployment', 'checkout', '-n', 'prod', '-o', 'jsonpath={.spec.template.spec.containers[0].env[0].value}')).toContain('postgres-primary');

    const decided = await stream(`/api/v1/agent/approvals/${card!.data['call_id']}`, { approve: true, conversation_id: conversationId, args_hash: card!.data['args_hash'] });
    expect(decided.find((frame) => frame.event === 'tool.result' && frame.data['call_id'] === card!.data['call_id'])).toBeDefined();
    expect(answerOf(decided)).toMatch(/^Demo model: \*\*checkout\*\* is rolled back to revision 1/);
    expect(await kubectl('get', 'deployment', 'checkout', '-n', 'prod', '-o', 'jsonpath={.spec.template.spec.containers[0].env[0].value}')).toContain('@postgres.prod.svc.cluster.local');
  }, 180_000);

  it('ships one runbook per demo incident', async () => {
    const listed = await fetch(`${box.url}/api/v1/runbooks`, { headers: { authorization: `Bearer ${box.token}` } });
    expect(listed.status).toBe(200);
    const names = JSON.stringify(await listed.json());
    expect(names).toContain('Pod crash looping after a release');
    expect(names).toContain('Image pull failing');
  });

  it('explains the frontend image pull, and answers anything else with what it knows and how to use a real model', async () => {
    const frontend = answerOf(await ask("why can't the frontend in staging pull its image?"));
    expect(frontend).toMatch(/^Demo model: .*registry\.acme\.io\/frontend:2\.8\.0-rc1/);
    const other = answerOf(await ask('what is the meaning of life?'));
    expect(other).toMatch(/^Demo model: I am Skyflo's scripted demo model/);
    expect(other).toContain('LLM_MODEL=');
  }, 120_000);
});
