/**
 * The pieces every grant derivation shares (issue 73): reading a tool's arguments strictly, one access entry with the
 * content hash of the executor's own dry-run, and turning a failed read or dry-run into a refusal that says why.
 */
import type { ApprovedAccess } from '@skyflo/protocol';
import type { z } from 'zod';
import { KubeRequestError } from '../../kube/kube-rest.ts';
import { ExecutorError } from '../executor-options.ts';
import type { OwnKube } from './own-kube.ts';
import type { HelmRenderStore } from '../helm/helm-render-store.ts';

export { accessEntry, admissionContentHash } from '@skyflo/protocol/approval-hashes';

/**
 * Reads the approved call itself makes with its credential besides the objects it writes (which it may always read):
 * a rollback lists the revisions it picks from, a drain the pods of its node, helm --wait the release's workloads.
 * RBAC cannot narrow a list by label, so these are whole resources in one namespace (cluster-wide when absent); never
 * Secrets.
 */
export interface GrantRead {
  apiGroup: string;
  resources: string[];
  namespace?: string | undefined;
  verbs: Array<'get' | 'list' | 'watch'>;
}

/** What a call may write (and so read), and the other reads it needs. */
export interface ComputedGrant {
  access: ApprovedAccess[];
  reads: GrantRead[];
}

/** What a derivation reads the cluster with, and the call it derives for. */
export interface GrantContext {
  kube: OwnKube;
  tool: string;
  /** the executor's own Helm renders (POST /v1/helm/render): a Helm call's manifest when the engine sends none */
  helmRenders?: HelmRenderStore;
}

/** The tool's arguments as the derivation needs them; INVALID (with the field) when they do not parse. */
export function argumentsOf<T extends z.ZodType>(schema: T, args: Record<string, unknown>, tool: string): z.infer<T> {
  const parsed = schema.safeParse(args);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ExecutorError('INVALID', `the approved ${tool} arguments are not what ${tool} takes (${issue?.path.join('.') || 'arguments'}: ${issue?.message}); nothing is minted`);
  }
  if ((parsed.data as { dry_run?: unknown }).dry_run === true) {
    throw new ExecutorError('UNSUPPORTED', `the approved ${tool} call is a dry run: it writes nothing, so there is nothing to grant (preview it instead)`);
  }
  return parsed.data;
}

/** Runs a read or dry-run of the grant computation; the API server's refusal becomes the executor's, with its words. */
export async function asExecutor<T>(what: string, action: () => Promise<T>): Promise<T> {
  try {
    return await action();
  } catch (error) {
    if (error instanceof ExecutorError) throw error;
    if (error instanceof KubeRequestError && error.status < 500) {
      throw new ExecutorError('INVALID', `the executor could not ${what} to compute what the call writes: ${error.message}`);
    }
    throw new ExecutorError('MINT_FAILED', `the executor could not ${what} to compute what the call writes: ${(error as Error).message}`);
  }
}

/** A JSON pointer segment (RFC 6901). */
export const pointerSegment = (segment: string) => segment.replace(/~/g, '~0').replace(/\//g, '~1');
