/**
 * The oldest Node.js Skyflo runs on. Why these numbers: dependencies load ES-only packages with require(), which
 * Node.js runs without a flag from 20.19 and 22.12 (Node 21 never got it), and before that dies with ERR_REQUIRE_ESM
 * deep inside start-up. Keep in step with "engines" in the root and packages/cli package.json.
 */
export const supportedNodeRange = '^20.19.0 || >=22.12.0';

/** The minimum minor version per major line; majors above the last entry are all fine, majors below or missing are not. */
const minimumMinor: Record<number, number> = { 20: 19, 22: 12 };
const newestListedMajor = 22;

/** undefined when `version` (process.versions.node, e.g. "20.18.0") can run Skyflo, else the one-line message to print. */
export function nodeVersionProblem(version: string): string | undefined {
  const match = /^v?(\d+)\.(\d+)\.(\d+)/.exec(version);
  if (!match) return undefined; // an unrecognisable version string: let start-up try rather than refuse
  const major = Number(match[1]);
  const minor = Number(match[2]);
  const supported = major > newestListedMajor || (minimumMinor[major] !== undefined && minor >= minimumMinor[major]);
  if (supported) return undefined;
  return (
    `Skyflo needs Node.js >= 20.19 (or >= 22.12 on Node.js 22); this is ${match[0]}. ` +
    'Install a current LTS release from https://nodejs.org/en/download (or run `nvm install --lts`), then start again.'
  );
}
