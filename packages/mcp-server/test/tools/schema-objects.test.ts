/**
 * A tool's input and output schemas are turned into zod objects once, not on every call: zod 4 compiles an object's
 * parser on its first parse, so a `z.object(shape)` per call paid that compile on every call (issue 25, P3b). The
 * shapes here count how often zod reads their keys: building a zod object from a shape reads them, parsing with an
 * object already built does not. Validation itself is unchanged (wrong input still fails with the same message).
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { connectInProcess } from '../../src/connect-in-process.ts';
import { createToolDeps } from '../../src/create-tool-deps.ts';
import { createFakeCommandRunner } from '../../src/exec/fake-command-runner.ts';
import { runTool } from '../../src/tools/run-tool.ts';
import { defineTool, type AnyToolDefinition } from '../../src/contract/tool-definition.ts';
import type { ToolDeps } from '../../src/deps/deps.ts';

/** A shape that counts how often its keys are listed (what building a zod object from it does). */
function countingShape<Shape extends z.ZodRawShape>(shape: Shape): { shape: Shape; reads: () => number } {
  let reads = 0;
  const proxy = new Proxy(shape, {
    ownKeys(target) {
      reads += 1;
      return Reflect.ownKeys(target);
    },
  });
  return { shape: proxy, reads: () => reads };
}

function echoTool(inputSchema: z.ZodRawShape, outputSchema: z.ZodRawShape): AnyToolDefinition<ToolDeps> {
  return defineTool({
    name: 'echo_name',
    title: 'Echo',
    description: 'Echoes its name argument.',
    inputSchema,
    outputSchema,
    annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true },
    async handler(input: Record<string, unknown>) {
      return { text: `name is ${String(input['name'])}`, structured: { name: input['name'] } };
    },
  }) as AnyToolDefinition<ToolDeps>;
}

const deps = () => createToolDeps({ runner: createFakeCommandRunner() });
const context = () => ({ signal: new AbortController().signal });

describe('tool schemas are compiled once', () => {
  it('runTool builds the input schema once for any number of calls', async () => {
    const input = countingShape({ name: z.string().min(1) });
    const tool = echoTool(input.shape, { name: z.string(), text: z.string() });
    const toolDeps = deps();
    expect((await runTool(tool, { name: 'a' }, toolDeps, context())).text).toBe('name is a');
    const afterFirstCall = input.reads();
    for (const name of ['b', 'c', 'd', 'e']) expect((await runTool(tool, { name }, toolDeps, context())).text).toBe(`name is ${name}`);
    expect(input.reads()).toBe(afterFirstCall);
    // still validated on every call, with the message it always had
    const refused = await runTool(tool, { name: '' }, toolDeps, context());
    expect(refused.isError).toBe(true);
    expect(refused.text).toMatch(/^Invalid arguments for echo_name: name: /);
    expect(input.reads()).toBe(afterFirstCall);
  });

  it('the MCP server builds the output schema once for any number of calls, and still strips undeclared fields', async () => {
    const output = countingShape({ text: z.string() });
    const tool = echoTool({ name: z.string() }, output.shape);
    const { client, close } = await connectInProcess({ deps: deps(), tools: [tool] });
    try {
      const first = await client.callTool({ name: 'echo_name', arguments: { name: 'a' } });
      // `name` is not in the output schema: structuredContent keeps the declared fields only
      expect(first.structuredContent).toEqual({ text: 'name is a' });
      const afterFirstCall = output.reads();
      for (const name of ['b', 'c', 'd']) expect((await client.callTool({ name: 'echo_name', arguments: { name } })).structuredContent).toEqual({ text: `name is ${name}` });
      expect(output.reads()).toBe(afterFirstCall);
    } finally {
      await close();
    }
  });
});
