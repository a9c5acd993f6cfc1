-- Prometheus and Loki data sources (issue 36) serve one cluster each (null: every cluster).
ALTER TABLE "integrations" ADD COLUMN "cluster" text;
