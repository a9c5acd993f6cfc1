/** Policies as code (issue 76): the stored rules (policies/ evaluates them). */
import type { PolicyEffect } from '@skyflo/protocol';

export interface PolicyRecord {
  id: string;
  name: string;
  expression: string;
  effect: PolicyEffect;
  message: string;
  enabled: boolean;
  /** 1 when created, +1 on every change */
  version: number;
  createdBy?: string;
  /** "SkyfloPolicy <namespace>/<name>" or "file <path> (SkyfloPolicy <name>)": declared there, changed only there; null: made in the API */
  managedBy: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface PolicyFields {
  name: string;
  expression: string;
  effect: PolicyEffect;
  message: string;
  enabled: boolean;
}

export interface PolicyStore {
  /** every policy, by name */
  list(): Promise<PolicyRecord[]>;
  get(id: string): Promise<PolicyRecord | undefined>;
  /** undefined when another policy already has the name (or, declared, another replica already created it) */
  insert(input: PolicyFields & ({ createdBy: string } | { managedBy: string })): Promise<PolicyRecord | undefined>;
  /**
   * replaces the fields and increments the version; undefined when it does not exist (or, with `ifVersion`, is no
   * longer that version: another replica changed it first); `'name_taken'` for a clash
   */
  update(id: string, input: PolicyFields, options?: { ifVersion?: number }): Promise<PolicyRecord | 'name_taken' | undefined>;
  remove(id: string): Promise<PolicyRecord | undefined>;
}

/** Change freezes (issue 76): freezes/freeze-window.ts says when each holds and what it covers. */
export interface FreezeRecord {
  id: string;
  name: string;
  startsAt: Date;
  endsAt: Date;
  recurrence?: 'daily' | 'weekly';
  timeZone?: string;
  clusters?: string[];
  namespaces?: string[];
  reason: string;
  /**
   * A SkyfloFreeze's `break_glass.approvers` (emails or user ids): the only people the cluster's executor lets break it.
   * Absent for freezes made in the API (the engine's own break-glass rules apply alone).
   */
  breakGlassBy?: string[];
  createdBy?: string;
  /** as PolicyRecord.managedBy */
  managedBy: string | null;
  /** 1 when created, +1 on every change */
  version: number;
  createdAt: Date;
}

export type FreezeFields = Omit<FreezeRecord, 'id' | 'createdBy' | 'createdAt' | 'managedBy' | 'version'>;

export interface FreezeStore {
  list(): Promise<FreezeRecord[]>;
  /** undefined when another freeze already has the name (or, declared, another replica already created it) */
  insert(input: FreezeFields & ({ createdBy: string } | { managedBy: string })): Promise<FreezeRecord | undefined>;
  /** with `ifVersion`: only while it is still that version (undefined otherwise) */
  update(id: string, input: FreezeFields, options?: { ifVersion?: number }): Promise<FreezeRecord | undefined>;
  remove(id: string): Promise<FreezeRecord | undefined>;
}
