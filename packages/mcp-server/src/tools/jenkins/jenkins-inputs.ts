import { z } from 'zod';

/** Both are filled in by the engine from the active Jenkins integration; the model never sees credentials. */
export const apiUrlField = z
  .string()
  .min(1)
  .max(2048)
  .optional()
  .describe("Base Jenkins URL (engine-injected from the Jenkins integration; do not set). The URL comes from the integration Secret; a different value is refused");
export const credentialsRefField = z
  .string()
  .min(3)
  .max(253)
  .describe('Kubernetes Secret reference "namespace/name" holding username and api-token (engine-injected; do not set)');
export const jobFullNameField = z.string().min(1).max(1024).describe('Full job path with folders, e.g. "team/service/deploy"');
export const buildField = z
  .union([z.number().int().min(1), z.string().min(1).max(32)])
  .optional()
  .describe('Build number or a permalink such as "lastBuild" / "lastFailedBuild" (default lastBuild)');
export const treeField = (fallback: string) => z.string().min(1).max(1000).default(fallback).describe(`Jenkins "tree" filter selecting the fields to return (default "${fallback}")`);
