/**
 * A zod schema built the first time anything touches it. Why: the protocol declares ~1,900 zod schema objects, ~20 µs
 * each to build (zod 4's own cost), and every program that imports `@skyflo/protocol` paid for all of them before its
 * first line ran: the engine before it listens (~50 ms of its thread's CPU on a two-core machine, a tenth of its
 * start), `skyflo mcp` before it answers, the Command Center before its first paint on a phone. Each uses a few at a
 * time. README, Cold start.
 *
 * How: `deferred` returns an empty object whose prototype is a trap. The first read, `in` or write of any property
 * falls through to that trap, which builds the schema and then makes the object itself that schema: it gets the
 * schema's prototype and zod constructs it in place from the schema's definition (what zod's own clone does). From
 * then on it is an ordinary zod schema, with nothing in between: methods, `instanceof`, `.shape`, `.extend()`, being a
 * field of another schema, zod's metadata (`.describe()`, `.meta()`) and JSON Schema all see the one object. A Proxy
 * in front of the built schema would not do: zod's JSON Schema code finds a wrapper (`.optional()`, `.default()`…) by
 * its identity, and a proxy is not the object its closures hold. Nor would `z.lazy()`: it is another type (no
 * `.shape`, `.extend()`, `.options`).
 */
import { z } from './zod.ts';

export function deferred<Schema extends z.ZodType>(build: () => Schema): Schema {
  const trap = new Proxy(Object.create(null) as object, {
    get: (_, key, receiver) => Reflect.get(materialize(), key, receiver),
    has: (_, key) => Reflect.has(materialize(), key),
    set: (_, key, value, receiver) => Reflect.set(materialize(), key, value, receiver),
  });
  const schema = Object.create(trap) as Schema;
  let building = false;
  function materialize(): Schema {
    // a builder that touches its own schema would build forever (a recursive schema refers to itself in a getter)
    if (building) throw new Error('deferred: the schema was used while it was being built; refer to it inside a getter or z.lazy()');
    building = true;
    let built: Schema;
    try {
      built = build();
    } finally {
      building = false;
    }
    Object.setPrototypeOf(schema, Object.getPrototypeOf(built));
    constructInPlace(schema, built);
    // `.describe()` and `.meta()` keep their metadata in a registry keyed by the schema object
    const metadata = z.globalRegistry.get(built);
    if (metadata) z.globalRegistry.add(schema, metadata);
    return schema;
  }
  return schema;
}

/**
 * zod's constructor of `built`'s kind, run on `target` with `built`'s definition, as `new` would run it on a fresh
 * object (zod's constructors are functions of `this`, see zod/v4/core/core.js `$constructor`; deferred.test.ts fails
 * if a zod upgrade changes that).
 */
function constructInPlace(target: z.ZodType, built: z.ZodType): void {
  const constructor = built._zod.constr as unknown as (this: z.ZodType, definition: unknown) => z.ZodType;
  constructor.call(target, built._zod.def);
}
