/** Alert investigations waiting to start (alerts/alert-investigator.ts), kept in the database across restarts. */

export interface QueuedAlert {
  id: number;
  userId: string;
  conversationId: string;
  title: string;
  /** what the model is told: the alert text, already redacted */
  message: string;
}

export interface AlertQueueStore {
  /**
   * Appends the job unless `limit` jobs already wait (counted and inserted under one lock, so engines sharing the
   * database never exceed it together); answers how many waited before it, or undefined when the queue is full.
   */
  enqueue(job: Omit<QueuedAlert, 'id'>, limit: number): Promise<{ id: number; position: number } | undefined>;
  /** Removes and returns the oldest job (each job goes to exactly one caller, also across engines), if any. */
  claim(): Promise<QueuedAlert | undefined>;
  /** how many jobs wait */
  size(): Promise<number>;
}
