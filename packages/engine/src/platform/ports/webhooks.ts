/** Outgoing webhooks and their deliveries. */

export interface WebhookRecord {
  id: string;
  name: string;
  url: string;
  events: string[];
  secretSealed: string;
  secretLast4: string;
  status: 'active' | 'disabled';
  createdBy?: string;
  createdAt: Date;
  updatedAt: Date;
}

export interface WebhookDeliveryRecord {
  id: string;
  integrationId: string;
  event: string;
  body: string;
  status: 'pending' | 'delivered' | 'failed';
  attempts: number;
  responseStatus?: number;
  lastError?: string;
  createdAt: Date;
  deliveredAt?: Date;
}

export interface WebhookStore {
  list(): Promise<WebhookRecord[]>;
  get(id: string): Promise<WebhookRecord | undefined>;
  /** `id` is chosen by the caller, because the sealed secret is bound to it */
  create(input: Omit<WebhookRecord, 'createdAt' | 'updatedAt'>): Promise<WebhookRecord>;
  update(id: string, patch: Partial<Pick<WebhookRecord, 'name' | 'events' | 'status'>>): Promise<WebhookRecord | undefined>;
  remove(id: string): Promise<boolean>;
  deliveries: WebhookDeliveryStore;
}

export interface WebhookDeliveryStore {
  create(input: { id?: string; integrationId: string; event: string; body: string }): Promise<WebhookDeliveryRecord>;
  /** Records one attempt's outcome (status stays pending while retries remain). */
  recordAttempt(id: string, outcome: { status: WebhookDeliveryRecord['status']; responseStatus?: number; error?: string }): Promise<WebhookDeliveryRecord | undefined>;
  /** newest first */
  listForIntegration(integrationId: string, limit: number): Promise<WebhookDeliveryRecord[]>;
}
