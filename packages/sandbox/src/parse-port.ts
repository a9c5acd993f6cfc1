/** Parses a CLI `--port` value; returns an error message instead of a number when it is not 0–65535. */
export function parsePort(value: string | undefined): number | { error: string } {
  const port = Number(value);
  if (value === undefined || value.trim() === '' || !Number.isInteger(port) || port < 0 || port > 65535) {
    return { error: `--port must be an integer between 0 and 65535, got "${value}"` };
  }
  return port;
}
