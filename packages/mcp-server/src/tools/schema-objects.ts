/**
 * A tool's input and output shapes as zod objects, built once per shape. Why: zod 4 compiles an object's parser
 * (a generated function) on its first synchronous parse, so `z.object(shape).safeParse(…)` on every call paid that
 * compile on every call (~0.3 ms each for input and output, a third of the server's own time in a native describe).
 * The objects are the same `z.object(shape)` as before, so what passes, what is stripped and every message stay the same.
 */
import { z } from 'zod';

const objects = new WeakMap<z.ZodRawShape, z.ZodObject<z.ZodRawShape>>();

/** `z.object(shape)`, the same instance for the same shape (so its compiled parser is reused). */
export function schemaObject(shape: z.ZodRawShape): z.ZodObject<z.ZodRawShape> {
  let object = objects.get(shape);
  if (!object) {
    object = z.object(shape);
    objects.set(shape, object);
  }
  return object;
}

const strictObjects = new WeakMap<z.ZodRawShape, z.ZodObject<z.ZodRawShape>>();

/**
 * `z.strictObject(shape)`, memoised like schemaObject: a tool's arguments as MCP clients send them. An argument the
 * tool does not have is refused, never dropped: a misspelt `namespce` silently ignored would act on "default".
 * Its JSON Schema says so too (`additionalProperties: false`), so no listed tool schema accepts any object.
 */
export function strictSchemaObject(shape: z.ZodRawShape): z.ZodObject<z.ZodRawShape> {
  let object = strictObjects.get(shape);
  if (!object) {
    object = z.strictObject(shape);
    strictObjects.set(shape, object);
  }
  return object;
}

/** JSON's view of a value: what an in-process caller's object becomes on the wire (`undefined` members gone). */
function asJson(value: unknown): unknown {
  try {
    return value === undefined ? value : JSON.parse(JSON.stringify(value));
  } catch {
    return value; // not JSON (a BigInt, a cycle): the schema below refuses it
  }
}

/**
 * A JSON object of any JSON values: the arguments of another tool's call, a recorded before-state. Its JSON Schema
 * names the value types (strings, numbers, booleans, null, arrays and objects of them) rather than `{}`.
 */
export const jsonObject = () => z.preprocess(asJson, z.record(z.string(), z.json()));
