import { describe, expect, it } from 'vitest';
import { deferred } from './deferred.ts';
import { z } from './zod.ts';

/** A deferred schema and a counter of how often its builder ran. */
function counted<Schema extends z.ZodType>(build: () => Schema): { schema: Schema; builds: () => number } {
  let builds = 0;
  return {
    schema: deferred(() => {
      builds += 1;
      return build();
    }),
    builds: () => builds,
  };
}

const userShape = () => ({ id: z.string().uuid(), name: z.string().min(1), roles: z.array(z.enum(['admin', 'member'])).default([]) });

describe('deferred schemas', () => {
  it('builds nothing until first used, then once', () => {
    const { schema, builds } = counted(() => z.object(userShape()));
    expect(builds()).toBe(0);
    expect(schema.parse({ id: '0b6d6f64-7a5e-4a3b-9a0e-5f2d1c3b4a59', name: 'Ana' })).toEqual({ id: '0b6d6f64-7a5e-4a3b-9a0e-5f2d1c3b4a59', name: 'Ana', roles: [] });
    schema.safeParse({});
    expect(builds()).toBe(1);
  });

  it('accepts and rejects exactly what the schema it stands for does, with the same issues', () => {
    const eager = z.object(userShape());
    const { schema } = counted(() => z.object(userShape()));
    for (const input of [{ id: 'x', name: '' }, { id: '0b6d6f64-7a5e-4a3b-9a0e-5f2d1c3b4a59', name: 'Ana', roles: ['root'] }, 'not an object', null]) {
      expect(schema.safeParse(input).error?.issues).toEqual(eager.safeParse(input).error?.issues);
    }
    expect(() => schema.parse(null)).toThrow(z.ZodError);
  });

  it('is what it stands for to instanceof, .shape, .extend() and as another schema\'s field', () => {
    const { schema: user } = counted(() => z.object(userShape()));
    expect(user).toBeInstanceOf(z.ZodObject);
    expect(Object.keys(user.shape)).toEqual(['id', 'name', 'roles']);
    const admin = user.extend({ since: z.number() });
    expect(admin.safeParse({ id: '0b6d6f64-7a5e-4a3b-9a0e-5f2d1c3b4a59', name: 'Ana', since: 1 }).success).toBe(true);
    expect(admin.safeParse({ id: '0b6d6f64-7a5e-4a3b-9a0e-5f2d1c3b4a59', name: 'Ana' }).success).toBe(false);
    const team = z.object({ lead: user, members: z.array(user) });
    const parsed = team.safeParse({ lead: { id: '0b6d6f64-7a5e-4a3b-9a0e-5f2d1c3b4a59', name: 'Ana' }, members: [{ id: 'nope', name: 'Bo' }] });
    expect(parsed.error?.issues.map((issue) => issue.path)).toEqual([['members', 0, 'id']]);
  });

  it('is one object once built: the schema it became, not a stand-in (identity is what zod keys JSON Schema and metadata by)', () => {
    const { schema } = counted(() => z.string().min(2));
    expect(schema.parse('ok')).toBe('ok');
    // the object itself is now a zod schema: its internals are its own and name it as their constructor's instance
    expect(Object.getOwnPropertyNames(schema)).toContain('_zod');
    expect(Object.getPrototypeOf(schema)).toBe(Object.getPrototypeOf(z.string()));
    expect(schema.safeParse('x').error?.issues[0]).toMatchObject({ code: 'too_small', minimum: 2 });
  });

  it("turns into JSON Schema as a field, also when it is a wrapper (.optional(), .default(), .nullable(), a transform's input)", () => {
    const fields = {
      role: () => z.enum(['admin', 'member']).default('member'),
      nickname: () => z.string().optional(),
      manager: () => z.string().nullable(),
      size: () => z.string().transform((text) => text.length),
    };
    const eager = z.object({ role: fields.role(), nickname: fields.nickname(), manager: fields.manager(), size: fields.size() });
    const lazy = z.object({ role: deferred(fields.role), nickname: deferred(fields.nickname), manager: deferred(fields.manager), size: deferred(fields.size) });
    const document = z.toJSONSchema(lazy, { io: 'input' }) as { properties: Record<string, { default?: string }>; required: string[] };
    expect(document).toEqual(z.toJSONSchema(eager, { io: 'input' }));
    expect(document.properties['role']?.default).toBe('member');
    expect(document.required).toEqual(['manager', 'size']);
  });

  it('refuses, with the reason, a builder that uses its own schema while building it', () => {
    const loop: z.ZodType = deferred(() => z.array(loop.optional()));
    expect(() => loop.parse([])).toThrow('the schema was used while it was being built');
  });

  it("passes on a builder's own error, and builds again at the next use", () => {
    let attempts = 0;
    const flaky = deferred(() => {
      attempts += 1;
      if (attempts === 1) throw new Error('not yet');
      return z.number();
    });
    expect(() => flaky.parse(1)).toThrow('not yet');
    expect(flaky.parse(2)).toBe(2);
    expect(attempts).toBe(2);
  });

  it('keeps zod metadata, so JSON Schema (the OpenAPI document) still describes a field that is a deferred schema', () => {
    const { schema: digest } = counted(() => z.string().regex(/^sha256:[0-9a-f]{64}$/).describe('"sha256:<hex>" of the manifest'));
    const { schema: titled } = counted(() => z.object({ n: z.number() }).meta({ title: 'Counter' }));
    const document = z.toJSONSchema(z.object({ digest, counter: titled })) as { properties: Record<string, { description?: string; title?: string }> };
    expect(document.properties['digest']?.description).toBe('"sha256:<hex>" of the manifest');
    expect(document.properties['counter']?.title).toBe('Counter');
  });

  it('survives a discriminated union of deferred members, as the SSE events are', () => {
    const ping = deferred(() => z.object({ type: z.literal('ping'), at: z.number() }));
    const note = deferred(() => z.object({ type: z.literal('note'), text: z.string() }));
    const event = deferred(() => z.discriminatedUnion('type', [ping, note]));
    expect(event.parse({ type: 'note', text: 'hi' })).toEqual({ type: 'note', text: 'hi' });
    expect(event.safeParse({ type: 'ping', at: 'soon' }).error?.issues[0]?.path).toEqual(['at']);
    expect(event.safeParse({ type: 'pong' }).success).toBe(false);
  });
});
