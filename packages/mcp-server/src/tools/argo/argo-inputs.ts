import { z } from 'zod';

export const rolloutNameField = z.string().min(1).max(253).describe('Name of the Argo Rollout');
export const argoNamespaceField = z.string().min(1).max(63).default('default').describe('Namespace of the rollout (default "default")');
export const allNamespacesField = z.boolean().default(false).describe('List across all namespaces (namespace is then ignored)');
