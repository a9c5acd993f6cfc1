/**
 * Input fields shared by the helm tools, so every tool describes a release, namespace or chart the
 * same way to the model (names and defaults follow the original Skyflo catalogue).
 */
import { z } from 'zod';

export const releaseNameField = z.string().min(1).max(53).describe('Name of the Helm release (lower-case DNS-1123 name, at most 53 characters)');

export const namespaceField = z.string().min(1).max(63).default('default').describe('Namespace of the release (default "default")');

export const chartField = z
  .string()
  .min(1)
  .max(512)
  .describe('Chart reference: "repo/chart" from an added repository, "oci://registry/path/chart", or a local chart directory/archive under an allowed chart directory');

export const valuesField = z.string().max(1_000_000).describe('Values as a YAML document (passed to helm on stdin, never on the command line)');

export const waitField = z.boolean().default(true).describe('Wait until all resources are ready before reporting success');

export const timeoutSecondsField = z
  .number()
  .int()
  .min(1)
  .max(1800)
  .default(300)
  .describe('How long helm may wait for the operation, in seconds (default 300)');

export const chartVersionField = z.string().min(1).max(64).optional().describe('Chart version constraint, e.g. "1.2.3" or "^1.2" (default: latest)');

export const optionalValuesField = valuesField.optional().describe('Optional values as a YAML document (passed to helm on stdin, never on the command line)');

export const optionalChartField = chartField.optional().describe('Chart reference to preview an upgrade or install: "repo/chart", "oci://…", or an allowed local chart path');

export const chartDigestField = z
  .string()
  .regex(/^sha256:[0-9a-f]{64}$/, 'must be "sha256:" followed by 64 lower-case hex digits')
  .optional()
  .describe('Pinned chart archive "sha256:<hex>" (set by preview_tool_call before approval): install exactly that archive, refused if it is gone or different. Omit it otherwise');
