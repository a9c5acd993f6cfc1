/** Reads evals/tasks/<id>/task.yaml files, validating each (errors name the task and the field). */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { z } from 'zod';
import { taskSchema, type Task } from './task-schema.ts';

export const defaultTasksDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'tasks');

export class TaskError extends Error {}

export function loadTask(dir: string): Task {
  const id = path.basename(dir);
  const file = path.join(dir, 'task.yaml');
  let raw: unknown;
  try {
    raw = parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new TaskError(`${id}: cannot read task.yaml: ${(error as Error).message}`);
  }
  const parsed = taskSchema.safeParse(raw);
  if (!parsed.success) throw new TaskError(`${id}/task.yaml is invalid:\n${z.prettifyError(parsed.error)}`);
  const spec = parsed.data;
  for (const step of [...spec.setup, ...spec.verify, ...spec.cleanup]) {
    if ('script' in step && !existsSync(path.join(dir, step.script))) throw new TaskError(`${id}: script ${step.script} does not exist in the task folder`);
  }
  for (const chartDir of spec.helm?.chartDirs ?? []) {
    if (!existsSync(path.join(dir, chartDir))) throw new TaskError(`${id}: helm.chartDirs names ${chartDir}, which does not exist in the task folder`);
  }
  if (spec.cluster.kubeSim?.scenario && !existsSync(path.join(dir, spec.cluster.kubeSim.scenario))) throw new TaskError(`${id}: kubeSim.scenario ${spec.cluster.kubeSim.scenario} does not exist`);
  return { id, dir, spec };
}

/** Selects tasks by id; a selector may end in `*` (prefix) — none given means all. Unknown ids are an error. */
export function loadTasks(input: { tasksDir?: string; select?: string[] } = {}): Task[] {
  const tasksDir = input.tasksDir ?? defaultTasksDir;
  const ids = readdirSync(tasksDir)
    .filter((name) => statSync(path.join(tasksDir, name)).isDirectory() && existsSync(path.join(tasksDir, name, 'task.yaml')))
    .sort();
  const selectors = input.select ?? [];
  const chosen = selectors.length === 0 ? ids : ids.filter((id) => selectors.some((selector) => (selector.endsWith('*') ? id.startsWith(selector.slice(0, -1)) : id === selector)));
  for (const selector of selectors) {
    const matched = ids.some((id) => (selector.endsWith('*') ? id.startsWith(selector.slice(0, -1)) : id === selector));
    if (!matched) throw new TaskError(`no task matches "${selector}"; tasks are: ${ids.join(', ')}`);
  }
  return chosen.map((id) => loadTask(path.join(tasksDir, id)));
}
