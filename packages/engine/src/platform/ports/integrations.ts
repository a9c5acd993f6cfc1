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

/**
 * Issue 77 item 3: an external MCP server's OAuth credentials, one row per (server, authorization server issuer), both
 * values sealed by the caller. Nothing here is ever answered by the API.
 */
export interface ExternalMcpOauthRecord {
  serverId: string;
  issuer: string;
  clientSealed?: string;
  tokensSealed?: string;
  updatedAt: Date;
}

export interface ExternalMcpOauthStore {
  get(serverId: string, issuer: string): Promise<ExternalMcpOauthRecord | undefined>;
  /** every issuer's row of the server, the most recently updated first */
  list(serverId: string): Promise<ExternalMcpOauthRecord[]>;
  /** sets the given fields (`null` clears one), creating the row when there is none */
  put(serverId: string, issuer: string, values: { clientSealed?: string | null; tokensSealed?: string | null }): Promise<void>;
  /** forgets everything held for the server (removed), its sign-ins in progress included */
  removeServer(serverId: string): Promise<void>;
  /** keeps a started sign-in until `expiresAt`, dropping every expired one */
  putSignIn(signIn: ExternalMcpOauthSignIn): Promise<void>;
  /** the sign-in of this state hash, removed as it is read (single use, whichever replica asks first); undefined when unknown */
  takeSignIn(stateHash: string): Promise<ExternalMcpOauthSignIn | undefined>;
}

/** An admin's OAuth sign-in between its start and the authorization server's redirect back. */
export interface ExternalMcpOauthSignIn {
  /** SHA-256 (hex) of the state sent to the authorization server */
  stateHash: string;
  serverId: string;
  adminId: string;
  /** the PKCE verifier, the discovery and the authorization URL, sealed */
  legSealed: string;
  expiresAt: Date;
}
