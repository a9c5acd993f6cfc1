/**
 * The one zod import of the protocol's schemas. In a browser, zod's JIT is turned off before any schema is built:
 * zod otherwise probes `new Function` when it builds an object schema, and the Command Center's
 * Content-Security-Policy (no 'unsafe-eval') reports that probe as a violation even though zod catches it. Node (the
 * engine, the CLI) keeps the faster JIT parsers.
 * A schema the protocol exports is declared `deferred(() => z.…)` (deferred.ts): built on first use, not at import.
 */
import { z } from 'zod';

if (typeof document !== 'undefined') z.config({ jitless: true });

export { z };
