import { AjvJsonSchemaValidator } from '@modelcontextprotocol/client/validators/ajv';
import { describe, expect, it } from 'vitest';
import { cachedSchemaValidator, sharedSchemaValidator } from './cached-schema-validator.ts';

/** The real AJV validator, counting its compiles. */
function countingAjv() {
  const ajv = new AjvJsonSchemaValidator();
  const counter = { compiles: 0 };
  return {
    counter,
    validator: {
      getValidator<T>(schema: Parameters<AjvJsonSchemaValidator['getValidator']>[0]) {
        counter.compiles += 1;
        return ajv.getValidator<T>(schema);
      },
    },
  };
}

const pods = () => ({ type: 'object', properties: { count: { type: 'integer' } }, required: ['count'] }) as const;

describe('the MCP client schema validator compiled once per schema text', () => {
  it('compiles a schema decoded again (a new object, the same text) once, and validates as AJV does', () => {
    const { counter, validator } = countingAjv();
    const cached = cachedSchemaValidator(validator);
    const first = cached.getValidator(pods());
    const again = cached.getValidator(JSON.parse(JSON.stringify(pods())));
    expect(counter.compiles).toBe(1);
    expect(again).toBe(first);
    expect(first({ count: 3 }).valid).toBe(true);
    const refused = first({ count: 'three' });
    expect(refused.valid).toBe(false);
    expect(refused.errorMessage).toBe(new AjvJsonSchemaValidator().getValidator(pods())({ count: 'three' }).errorMessage);
  });

  it('compiles a changed schema anew, and does not keep a schema that does not compile', () => {
    const { counter, validator } = countingAjv();
    const cached = cachedSchemaValidator(validator);
    cached.getValidator(pods());
    const changed = cached.getValidator({ ...pods(), required: [] });
    expect(counter.compiles).toBe(2);
    expect(changed({}).valid).toBe(true);
    const broken = { type: 'object', properties: { count: { type: 'no-such-type' } } } as never;
    expect(() => cached.getValidator(broken)).toThrow();
    expect(() => cached.getValidator(broken)).toThrow();
    expect(counter.compiles).toBe(4);
  });

  it('keeps at most maxEntries schemas, dropping the oldest', () => {
    const { counter, validator } = countingAjv();
    const cached = cachedSchemaValidator(validator, 2);
    for (const name of ['a', 'b', 'c']) cached.getValidator({ type: 'object', properties: { [name]: { type: 'string' } } });
    cached.getValidator({ type: 'object', properties: { c: { type: 'string' } } });
    expect(counter.compiles).toBe(3);
    cached.getValidator({ type: 'object', properties: { a: { type: 'string' } } });
    expect(counter.compiles).toBe(4);
  });

  it("shares one cache between the process's clients: a second client gets the first one's compiled validator", () => {
    const schema = { type: 'object', properties: { shared: { type: 'boolean' } }, required: ['shared'] } as const;
    const first = sharedSchemaValidator().getValidator(schema);
    const second = sharedSchemaValidator().getValidator(JSON.parse(JSON.stringify(schema)));
    expect(second).toBe(first);
    expect(second({ shared: 'yes' }).valid).toBe(false);
    // a private cache compiles its own
    expect(cachedSchemaValidator().getValidator(schema)).not.toBe(first);
  });
});
