/**
 * The MCP client's JSON Schema validator (tool output schemas), compiled once per schema text. Why: the client
 * compiles every tool's output-schema validator again each time its tools/list cache entry changes (a refresh decodes
 * the list into new schema objects, and AJV caches by object): on the shipped engine, ~0.6 s of main-thread CPU at a
 * tool call after each refresh (a CPU profile of the concurrency bench, issue 79), landing on whatever runs then, and
 * AJV kept every copy. A validator compiled from the same schema text validates exactly as a fresh one would; a schema
 * that does not compile is not kept, so it fails again as before. Bounded: the oldest is dropped past `maxEntries`.
 */
import type { JsonSchemaType, JsonSchemaValidator, jsonSchemaValidator } from '@modelcontextprotocol/client';
import { AjvJsonSchemaValidator } from '@modelcontextprotocol/client/validators/ajv';

export function cachedSchemaValidator(inner: jsonSchemaValidator = new AjvJsonSchemaValidator(), maxEntries = 1_000): jsonSchemaValidator {
  const byText = new Map<string, JsonSchemaValidator<unknown>>();
  return {
    getValidator<T>(schema: JsonSchemaType): JsonSchemaValidator<T> {
      const key = JSON.stringify(schema);
      let validator = byText.get(key);
      if (!validator) {
        validator = inner.getValidator<unknown>(schema);
        byText.set(key, validator);
        if (byText.size > maxEntries) byText.delete(byText.keys().next().value!);
      }
      return validator as JsonSchemaValidator<T>;
    },
  };
}

/**
 * One cache for every MCP client of the process. A compiled validator depends on nothing but its schema's text, and
 * each new client compiled the whole catalogue's again (~0.5 s of CPU): the engine after every reconnect, and every
 * engine a process starts (an eval lane's attempts, each test suite's engines: in a CPU profile of 21 metrics-and-logs
 * eval attempts run in one process, 9.9 s of its 155 s went to these compiles).
 */
const processWide = cachedSchemaValidator();

/** The process's shared validator cache (see above); `cachedSchemaValidator()` makes a private one. */
export function sharedSchemaValidator(): jsonSchemaValidator {
  return processWide;
}
