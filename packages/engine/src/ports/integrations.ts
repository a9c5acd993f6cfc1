/** Integrations (Jenkins; Prometheus and Loki data sources) and their sealed credentials. */

/** A stored integration; `credentialsSealed` opens only with the engine's encryption key. */
export interface IntegrationRecord {
  id: string;
  provider: 'jenkins' | 'prometheus' | 'loki';
  name: string;
  apiUrl: string;
  /** '' for a data source with a bearer token */
  username: string;
  /** Prometheus/Loki: the cluster the data source serves; undefined = every cluster */
  cluster?: string;
  /** Prometheus: the Grafana in front of it (the chart's "Open in Grafana" link); undefined = none */
  grafanaUrl?: string;
  /** Prometheus/Loki: the tenant sent as X-Scope-OrgID (issue 78); undefined = none */
  orgId?: string;
  credentialsSealed: string;
  tokenLast4: string;
  status: 'active' | 'disabled';
  createdBy?: string;
  createdAt: Date;
  updatedAt: Date;
}

export interface IntegrationStore {
  list(): Promise<IntegrationRecord[]>;
  get(id: string): Promise<IntegrationRecord | undefined>;
  /** `id` is chosen by the caller, because the sealed credentials are bound to it */
  create(input: Omit<IntegrationRecord, 'createdAt' | 'updatedAt'>): Promise<IntegrationRecord>;
  /** `grafanaUrl: null` and `orgId: null` remove them */
  update(id: string, patch: Partial<Pick<IntegrationRecord, 'name' | 'apiUrl' | 'cluster' | 'username' | 'credentialsSealed' | 'tokenLast4' | 'status'>> & { grafanaUrl?: string | null; orgId?: string | null }): Promise<IntegrationRecord | undefined>;
  remove(id: string): Promise<boolean>;
}
