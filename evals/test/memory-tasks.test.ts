/**
 * Issue 81: the memory tasks of the scorecard. Each runs an incident to its fix, then asks in a new conversation how
 * it was fixed the first time; its scripted model answers "Seen before …" only when the engine gave it that past
 * incident (a `systemContains` rule on what only the <past-incident> block holds), and the task expects that answer,
 * so a Skyflo that forgets fails every one. The one-attempt run of all ten is `npm run eval -- --model sim --tasks memory-…`.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { loadTasks } from '../src/load-tasks.ts';

describe('memory tasks', () => {
  it('ten or more, each needing the past incident to pass', () => {
    const tasks = loadTasks().filter((task) => task.spec.category === 'memory');
    expect(tasks.length).toBeGreaterThanOrEqual(10);
    for (const task of tasks) {
      const turns = task.spec.prompt as Array<string | { newConversation?: boolean }>;
      expect(turns.at(-1), task.id).toMatchObject({ newConversation: true });
      expect(task.spec.expect, task.id).toContainEqual({ contains: 'Seen before' });
      const script = parse(readFileSync(path.join(task.dir, task.spec.simScript), 'utf8')) as { rules: Array<{ name?: string; match: Record<string, string>; reply: string }> };
      const [remember, forgotten] = script.rules;
      expect(remember?.match['systemContains'], task.id).toBeTruthy();
      expect(remember?.reply, task.id).toMatch(/^Seen before/);
      // the same question without the past incident: an answer the task fails
      expect(forgotten?.match, task.id).toEqual({ userContains: remember?.match['userContains'] });
      expect(forgotten?.reply, task.id).not.toContain('Seen before');
    }
  });
});
