-- Issue 31.12, 32.2, 32.3: every record from here on is signed by the engine (Ed25519 over its content, key outside the
-- database) and linked to the chain by the INSERT itself: one statement takes the head row below (a row lock held only
-- until its transaction ends), computes prev_hash/hash from it and inserts the record. No advisory lock, no read-then-
-- write round trips. Records written before this migration keep their format (hash over the record and prev_hash) and
-- are verified as before; `signed_from` says from which sequence on a record must carry a valid signature.
ALTER TABLE "audit_events" ADD COLUMN "signature" text;--> statement-breakpoint
CREATE TABLE "audit_chain_head" (
  "id" smallint PRIMARY KEY DEFAULT 1 CHECK ("id" = 1),
  "sequence" bigint NOT NULL,
  "prev_hash" text NOT NULL,
  "hash" text NOT NULL,
  "signed_from" bigint NOT NULL
);--> statement-breakpoint
INSERT INTO "audit_chain_head" ("id", "sequence", "prev_hash", "hash", "signed_from")
SELECT 1,
       coalesce(max("sequence"), 0),
       '',
       coalesce((SELECT "hash" FROM "audit_events" WHERE "hash" IS NOT NULL ORDER BY "sequence" DESC LIMIT 1), repeat('0', 64)),
       coalesce(max("sequence"), 0) + 1
  FROM "audit_events";
