import { describe, expect, it } from 'vitest';
import { evaluateJsonPath } from './simple-json-path.ts';

describe('printer-column JSONPath', () => {
  const sky = { metadata: { name: 'skyflo', annotations: { 'skyflo.ai/emergency-stop': 'incident 42' } }, status: { conditions: [{ type: 'Ready', status: 'True' }] } };
  it.each([
    ['.metadata.name', ['skyflo']],
    ['.status.conditions[?(@.type=="Ready")].status', ['True']],
    ['.metadata.annotations.skyflo\\.ai/emergency-stop', ['incident 42']],
    ['.metadata.annotations.skyflo\\.ai/other', []],
  ])('%s', (path, expected) => {
    expect(evaluateJsonPath(sky, path)).toEqual(expected);
  });
});
