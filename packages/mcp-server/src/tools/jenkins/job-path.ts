import { ToolInputError } from '../../contract/errors.ts';

/**
 * "folder/sub/My Job" → "/job/folder/job/sub/job/My%20Job". Each segment is validated and encoded
 * separately: why — a segment of ".." or an encoded slash would walk out of /job/ into other Jenkins
 * endpoints (/script, /credentials) with the integration's credentials.
 */
export function jobPath(jobFullName: string): string {
  if (!jobFullName || jobFullName.startsWith('/') || jobFullName.endsWith('/')) {
    throw new ToolInputError(`Invalid jobFullName ${JSON.stringify(jobFullName)}: give the job path without leading or trailing "/", e.g. "folder/my-job".`);
  }
  const segments = jobFullName.split('/');
  for (const segment of segments) {
    if (segment === '' || segment === '.' || segment === '..') {
      throw new ToolInputError(`Invalid jobFullName ${JSON.stringify(jobFullName)}: empty, "." and ".." segments are not allowed.`);
    }
    if (/[\u0000-\u001f\u007f\\?#%]/.test(segment) || segment.trim() !== segment) {
      throw new ToolInputError(`Invalid jobFullName ${JSON.stringify(jobFullName)}: segment ${JSON.stringify(segment)} contains characters Jenkins job names cannot have.`);
    }
  }
  return segments.map((segment) => `/job/${encodeURIComponent(segment)}`).join('');
}

const buildAliases = new Set(['lastBuild', 'lastSuccessfulBuild', 'lastFailedBuild', 'lastStableBuild', 'lastUnstableBuild', 'lastCompletedBuild', 'lastUnsuccessfulBuild']);

/** A build number or one of Jenkins' permalinks; anything else would address another endpoint. */
export function buildSegment(build: string | number | undefined): string {
  if (build === undefined || build === '') return 'lastBuild';
  const text = String(build);
  if (/^[1-9][0-9]{0,9}$/.test(text) || buildAliases.has(text)) return text;
  throw new ToolInputError(`Invalid build ${JSON.stringify(text)}: use a build number or one of ${[...buildAliases].join(', ')}.`);
}
