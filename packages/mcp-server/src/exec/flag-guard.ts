/**
 * Argument guards for everything that may end up in an argv array or a request path.
 *
 * Why: tools pass model-chosen values to kubectl/helm. Without a shell there is no command injection,
 * but a value that starts with `-` is parsed by the CLI as a flag: `--kubeconfig=/tmp/evil`,
 * `--server=https://attacker`, `--token=…`, `--as=system:admin`, `--exec-command`, or `--overrides`
 * with hostPID/privileged would hijack credentials or escape the pod sandbox. So no value may ever
 * look like a flag, and names must be plain DNS-1123 names (no path traversal into other API paths).
 */
import { ToolInputError } from '../contract/errors.ts';

/** Longest value we accept for any single argument; longer ones are almost certainly not a name or image. */
export const MAX_ARGUMENT_LENGTH = 1024;

// Unicode characters that render like '-' (hyphen, dashes, minus, small/fullwidth hyphen-minus): a CLI
// would not treat them as flags, but a human approving the call could be fooled into thinking it's harmless.
const DASH_LOOKALIKES = /^[\u2010-\u2015\u2212\uFE58\uFE63\uFF0D]/;
// Control characters: NUL truncates C strings, newlines forge extra lines in logs and YAML.
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/;
// Shell metacharacters: harmless without a shell, but never legitimate in a name, image, or flag value,
// and refusing them keeps a copied command line safe to paste.
const SHELL_METACHARACTERS = /[;|&$`<>()\\]/;
const NON_ASCII = /[^\u0020-\u007e]/;

function refuse(field: string, value: string, reason: string, hint: string): never {
  const shown = value.length > 60 ? `${value.slice(0, 60)}…` : value;
  throw new ToolInputError(`Invalid ${field} ${JSON.stringify(shown)}: ${reason}.`, { hint, code: 'INVALID_INPUT' });
}

/**
 * A value that will be placed in an argv array or URL (image, container, resource type, selector value…).
 * Throws ToolInputError when it could act as a flag or is otherwise hostile.
 */
export function assertSafeArgument(field: string, value: string): void {
  if (typeof value !== 'string') refuse(field, String(value), 'expected a string', `pass ${field} as a string`);
  if (value.length === 0) refuse(field, value, 'it is empty', `give a non-empty ${field}`);
  if (value.length > MAX_ARGUMENT_LENGTH) {
    refuse(field, value, `it is ${value.length} characters long (limit ${MAX_ARGUMENT_LENGTH})`, `shorten ${field}`);
  }
  if (value.startsWith('-')) {
    refuse(field, value, 'values may not start with "-" because the CLI would read them as a flag', `pass a plain ${field}, without leading dashes`);
  }
  if (DASH_LOOKALIKES.test(value)) {
    refuse(field, value, 'it starts with a character that looks like a dash', `use a plain ASCII ${field}`);
  }
  if (CONTROL_CHARACTERS.test(value)) {
    refuse(field, value, 'it contains control characters (newline, NUL, tab…)', `remove control characters from ${field}`);
  }
  if (NON_ASCII.test(value)) refuse(field, value, 'it contains non-ASCII characters', `use a plain ASCII ${field}`);
  if (SHELL_METACHARACTERS.test(value)) {
    refuse(field, value, 'it contains shell metacharacters (; | & $ ` < > ( ) \\)', `${field} must be a plain value such as a name or image reference`);
  }
  if (value.includes('..') || value.startsWith('/') || value.includes('//')) {
    // Values become URL path segments and file paths; '..' and absolute paths would address something else.
    refuse(field, value, 'path traversal ("..", "//" or a leading "/") is not allowed', `pass a plain ${field}`);
  }
  if (value.startsWith('{') || value.startsWith('[')) {
    // Inline JSON is how `--overrides` smuggles hostPID/hostNetwork/privileged pod specs.
    refuse(field, value, 'inline JSON is not accepted here', `pass a plain ${field}`);
  }
}

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

/**
 * A Kubernetes object name or namespace: DNS-1123 subdomain, ≤ 253 characters, no '..' segments.
 * Names become URL path segments, so '/' and '..' would address other APIs.
 */
export function assertSafeName(field: string, value: string): void {
  if (typeof value !== 'string' || value.length === 0) refuse(field, String(value ?? ''), 'it is empty', `give a ${field}`);
  if (value.length > 253) refuse(field, value, `it is ${value.length} characters long (limit 253)`, `use the object's real ${field}`);
  if (value.includes('..') || value.includes('/')) {
    refuse(field, value, 'path separators and ".." are not allowed in names', `give just the ${field}, e.g. "my-app"`);
  }
  assertSafeArgument(field, value);
  if (!DNS_SUBDOMAIN.test(value)) {
    refuse(field, value, 'names are lower-case letters, digits, "-" and ".", starting and ending with a letter or digit', `check the exact ${field} with k8s_get`);
  }
}

const LABEL_SELECTOR = /^[A-Za-z0-9_./=!, ()-]+$/;

/** A label or field selector (`app=web,tier!=db`, `env in (prod,dev)`): parentheses allowed, nothing else exotic. */
export function assertSafeSelector(field: string, value: string): void {
  if (typeof value !== 'string' || value.length === 0) refuse(field, String(value ?? ''), 'it is empty', `omit ${field} or give e.g. "app=web"`);
  if (value.length > MAX_ARGUMENT_LENGTH) refuse(field, value, 'it is too long', `shorten ${field}`);
  if (value.startsWith('-') || DASH_LOOKALIKES.test(value)) refuse(field, value, 'selectors may not start with a dash', 'use a selector such as "app=web"');
  if (!LABEL_SELECTOR.test(value)) refuse(field, value, 'selectors may only contain letters, digits and _ . / = ! , ( ) - and spaces', 'use a selector such as "app=web,tier!=db"');
}

/**
 * Pod-spec fields that escape the container sandbox. A pod that shares the host's PID/network/IPC
 * namespaces, runs privileged, or mounts a host path can take over the node, so tools that create
 * pods from model input refuse them outright (this is what `kubectl run --overrides` is abused for).
 */
export function assertNoHostEscape(field: string, podSpec: unknown): void {
  const found: string[] = [];
  const visit = (value: unknown, path: string): void => {
    if (!value || typeof value !== 'object') return;
    for (const [key, child] of Object.entries(value as Record<string, unknown>)) {
      const here = path ? `${path}.${key}` : key;
      if ((key === 'hostPID' || key === 'hostNetwork' || key === 'hostIPC' || key === 'hostUsers') && child) found.push(here);
      else if ((key === 'privileged' || key === 'allowPrivilegeEscalation') && child === true) found.push(here);
      else if (key === 'hostPath' && child) found.push(here);
      else if (key === 'add' && Array.isArray(child) && child.some((capability) => /^(CAP_)?(SYS_ADMIN|ALL|NET_ADMIN|SYS_PTRACE)$/i.test(String(capability)))) found.push(here);
      visit(child, here);
    }
  };
  visit(podSpec, '');
  if (found.length > 0) {
    throw new ToolInputError(`Refusing ${field}: it escapes the pod sandbox (${found.join(', ')}).`, {
      hint: 'run the pod without host namespaces, privileged mode or hostPath volumes',
      code: 'FORBIDDEN',
    });
  }
}
