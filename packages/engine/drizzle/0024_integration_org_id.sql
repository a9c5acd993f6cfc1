-- A Prometheus or Loki data source may name its tenant (issue 78): sent as X-Scope-OrgID with every query.
ALTER TABLE "integrations" ADD COLUMN "org_id" text;
