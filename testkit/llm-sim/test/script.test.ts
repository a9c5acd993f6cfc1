import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../../tools.ts';
import { loadLlmScript, startLlmSim, type LlmSim } from '../index.ts';

const binPath = path.join(repoRoot, 'testkit', 'bin', 'llm-sim.mjs');
const scriptDir = mkdtempSync(path.join(tmpdir(), 'llm-sim-script-'));

async function chat(sim: LlmSim, content: string) {
  const response = await fetch(`${sim.url}/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'sim-model', messages: [{ role: 'user', content }] }),
  });
  const body = await response.json();
  return body.choices[0].message.content as string;
}

describe('llm-sim script validation', () => {
  it.each([
    [{ rules: [{ reply: 'ok' }, { reply: 'ok' }, { reply: {} }] }, 'rules[2].reply: expected text or toolCalls'],
    [{ rules: [{ match: { userContain: 'x' }, reply: 'a' }] }, 'rules[0].match: Unrecognized key: "userContain"'],
    [{ rules: [{ match: { userContains: 'x' } }] }, 'rules[0].reply: expected text or toolCalls'],
    [{ rules: [{ match: { userMatches: '(' }, reply: 'a' }] }, 'rules[0].match.userMatches: invalid regular expression'],
    [{ rules: [{ reply: { mode: 'stream' } }] }, 'rules[0].reply: mode "stream" needs tokens: N'],
    [{ failures: [{ kind: 'status', status: 200 }] }, 'failures[0].status'],
  ])('rejects %j with a message naming the field', (script, message) => {
    expect(() => loadLlmScript(script as never)).toThrow(message);
  });

  it('loads a YAML file and reports the file name on errors', () => {
    const good = path.join(scriptDir, 'good.yaml');
    writeFileSync(good, 'models: [m1]\nrules:\n  - match: { userMatches: "^restart (\\\\w+)$" }\n    reply: restarting\n');
    expect(loadLlmScript(good).rules[0].match.userMatches).toBe('^restart (\\w+)$');
    const bad = path.join(scriptDir, 'bad.yaml');
    writeFileSync(bad, 'rules:\n  - reply: { txt: hi }\n');
    expect(() => loadLlmScript(bad)).toThrow(`Invalid llm-sim ${bad}:\nrules[0].reply: Unrecognized key: "txt"`);
  });
});

describe('llm-sim rule behaviour', () => {
  let sim: LlmSim;
  beforeAll(async () => {
    sim = await startLlmSim();
  });
  afterAll(async () => {
    await sim.close();
  });

  it('once rules answer a single time, then later rules take over; reset re-arms them', async () => {
    sim.reset({ rules: [{ once: true, reply: 'first time' }, { reply: 'every other time' }] });
    expect(await chat(sim, 'a')).toBe('first time');
    expect(await chat(sim, 'b')).toBe('every other time');
    sim.reset();
    expect(sim.calls).toHaveLength(0);
    expect(await chat(sim, 'c')).toBe('first time');
  });

  it('userMatches is a regular expression and templates fill in the request', async () => {
    sim.reset({ rules: [{ match: { userMatches: '^restart \\w+$' }, reply: 'Restarting as asked: "{{lastUserMessage}}" (request {{sequence}}, {{unknown}})' }] });
    expect(await chat(sim, 'restart web')).toBe('Restarting as asked: "restart web" (request 1, {{unknown}})');
    expect(await chat(sim, 'please restart web')).toContain('no rule matched');
  });

  it('a script fallback replaces the no-match text', async () => {
    sim.reset({ fallback: 'I have nothing scripted for that.' });
    expect(await chat(sim, 'anything')).toBe('I have nothing scripted for that.');
    expect(sim.calls[0].matched).toBe(false);
  });

  it('rejects bad requests with OpenAI-style errors', async () => {
    const notJson = await fetch(`${sim.url}/chat/completions`, { method: 'POST', body: '{oops' });
    expect(notJson.status).toBe(400);
    expect((await notJson.json()).error.message).toBe('The request body is not valid JSON.');
    const noMessages = await fetch(`${sim.url}/chat/completions`, { method: 'POST', body: '{"model":"m"}' });
    expect(noMessages.status).toBe(400);
    const unknown = await fetch(`${sim.url}/embeddings`, { method: 'POST', body: '{}' });
    expect(unknown.status).toBe(404);
    expect((await unknown.json()).error.message).toContain('POST /v1/chat/completions');
  });
});

describe('llm-sim CLI', () => {
  it('prints the listening URL and serves the script file', async () => {
    const file = path.join(scriptDir, 'cli.yaml');
    writeFileSync(file, 'rules:\n  - reply: from the cli\n');
    const child = spawn(process.execPath, [binPath, '--port', '0', '--script', file], { stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let output = '';
        child.stdout.on('data', (chunk: Buffer) => {
          output += chunk.toString();
          const found = /llm-sim listening on (http:\/\/127\.0\.0\.1:\d+\/v1)/.exec(output);
          if (found) resolve(found[1]);
        });
        child.once('exit', (code) => reject(new Error(`llm-sim exited with ${code}`)));
      });
      const response = await fetch(`${url}/chat/completions`, { method: 'POST', body: JSON.stringify({ messages: [{ role: 'user', content: 'x' }] }) });
      expect((await response.json()).choices[0].message.content).toBe('from the cli');
    } finally {
      child.kill('SIGTERM');
    }
  });

  it('exits with a readable error for an invalid script', async () => {
    const file = path.join(scriptDir, 'invalid.yaml');
    writeFileSync(file, 'rules:\n  - match: { sequence: 0 }\n    reply: x\n');
    const error = await promisify(execFile)(process.execPath, [binPath, '--script', file]).catch((caught: { code: number; stderr: string }) => caught);
    expect(error).toMatchObject({ code: 1 });
    expect((error as { stderr: string }).stderr).toContain('rules[0].match.sequence');
    expect((error as { stderr: string }).stderr).not.toContain('    at ');
  });
});

describe('llm-sim example scripts', () => {
  it('the shipped triage example validates and drives a tool-call round trip', async () => {
    const sim = await startLlmSim({ script: path.join(repoRoot, 'testkit', 'llm-sim', 'examples', 'k8s-triage.yaml') });
    try {
      const send = async (messages: unknown[]) => {
        const response = await fetch(`${sim.url}/chat/completions`, { method: 'POST', body: JSON.stringify({ model: 'sim-model', messages }) });
        return (await response.json()).choices[0];
      };
      const first = await send([{ role: 'user', content: 'Why are my pods failing?' }]);
      expect(first.finish_reason).toBe('tool_calls');
      const call = first.message.tool_calls[0];
      expect(call.function).toEqual({ name: 'k8s_get', arguments: '{"resource":"pods","namespace":"default"}' });
      const second = await send([
        { role: 'user', content: 'Why are my pods failing?' },
        { role: 'assistant', content: null, tool_calls: [call] },
        { role: 'tool', tool_call_id: call.id, content: 'api-7d9f 0/1 CrashLoopBackOff 7' },
      ]);
      expect(second.message.tool_calls[0].function.name).toBe('k8s_logs');
      expect(second.message.reasoning_content).toBe('One pod is crash-looping; its logs will say why.');
    } finally {
      await sim.close();
    }
  });
});
