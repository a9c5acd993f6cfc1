-- A Prometheus data source may name the Grafana in front of it (issue 36): the chart's "Open in Grafana" link.
ALTER TABLE "integrations" ADD COLUMN "grafana_url" text;
