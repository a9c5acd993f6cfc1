import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { jenkinsScenarioSchema, type JenkinsScenario, type ParsedScenario } from './scenario-schema.ts';

/** Thrown for a scenario that cannot be read or does not validate; the message lists every problem by path. */
export class JenkinsScenarioError extends Error {
  readonly code = 'JENKINS_SIM_INVALID_SCENARIO';
}

function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let text = '';
  for (const segment of path) text += typeof segment === 'number' ? `[${segment}]` : text === '' ? String(segment) : `.${String(segment)}`;
  return text === '' ? '(root)' : text;
}

/** Validates a scenario object, or reads a YAML/JSON file when given a path. */
export function loadJenkinsScenario(scenario: JenkinsScenario | string | undefined, source = 'scenario'): ParsedScenario {
  if (typeof scenario === 'string') {
    let raw: unknown;
    try {
      raw = parseYaml(readFileSync(scenario, 'utf8'));
    } catch (error) {
      throw new JenkinsScenarioError(`Cannot read jenkins-sim scenario ${scenario}: ${(error as Error).message}`);
    }
    return loadJenkinsScenario((raw ?? {}) as JenkinsScenario, scenario);
  }
  const result = jenkinsScenarioSchema.safeParse(scenario ?? {});
  if (!result.success) {
    const lines = result.error.issues.map((issue) => `${formatPath(issue.path)}: ${issue.message}`);
    throw new JenkinsScenarioError(`Invalid jenkins-sim ${source}:\n${lines.join('\n')}`);
  }
  return result.data as ParsedScenario;
}
