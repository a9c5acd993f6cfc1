import { timestamp } from 'drizzle-orm/pg-core';

// Millisecond precision: pagination cursors carry JS Date ISO strings, which must compare equal to the stored value.
export const instant = (name: string) => timestamp(name, { withTimezone: true, precision: 3 });
