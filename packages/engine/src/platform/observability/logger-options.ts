/**
 * The engine's pino options: JSON lines for collectors, or readable coloured lines when a person watches a terminal
 * (LOG_FORMAT=auto decides by whether stdout is a TTY). pino-pretty runs as a stream in this process, not a worker
 * transport, so it also works from the single-file release bundle; it is loaded only when used.
 */
import type { FastifyServerOptions } from 'fastify';
import type { ServerConfig } from '../config/index.ts';
import { logSerializers } from './log-serializers.ts';

export async function loggerOptions(
  server: Pick<ServerConfig, 'logLevel' | 'logFormat'>,
  terminal: { isTty: boolean; destination?: NodeJS.WritableStream } = { isTty: Boolean(process.stdout.isTTY) },
): Promise<FastifyServerOptions['logger']> {
  const stdoutIsTty = terminal.isTty;
  const pretty = server.logFormat === 'pretty' || (server.logFormat === 'auto' && stdoutIsTty);
  if (!pretty) return { level: server.logLevel, serializers: logSerializers };
  const { default: prettyStream } = await import('pino-pretty');
  return {
    level: server.logLevel,
    serializers: logSerializers,
    stream: prettyStream({ colorize: stdoutIsTty, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname', singleLine: false, sync: true, ...(terminal.destination ? { destination: terminal.destination } : {}) }),
  };
}
