import type { ServerResponse } from 'node:http';

const reasons: Record<number, string> = { 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed', 409: 'Conflict', 500: 'Server Error' };

export function sendJson(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json;charset=utf-8' });
  response.end(JSON.stringify(body));
}

export function sendText(response: ServerResponse, status: number, text: string, headers: Record<string, string> = {}): void {
  response.writeHead(status, { 'content-type': 'text/plain;charset=utf-8', ...headers });
  response.end(text);
}

export function redirect(response: ServerResponse, location: string): void {
  response.writeHead(302, { location, 'content-length': '0' });
  response.end();
}

/** The Jetty error page Jenkins serves for errors, so clients that scrape the message see the same shape. */
export function sendErrorPage(response: ServerResponse, options: { status: number; uri: string; message?: string; headers?: Record<string, string> }): void {
  const reason = reasons[options.status] ?? 'Error';
  const message = escapeHtml(options.message ?? reason);
  const body =
    `<html>\n<head>\n<meta http-equiv="Content-Type" content="text/html;charset=utf-8"/>\n<title>Error ${options.status} ${reason}</title>\n</head>\n` +
    `<body><h2>HTTP ERROR ${options.status} ${message}</h2>\n<table>\n<tr><th>URI:</th><td>${escapeHtml(options.uri)}</td></tr>\n` +
    `<tr><th>STATUS:</th><td>${options.status}</td></tr>\n<tr><th>MESSAGE:</th><td>${message}</td></tr>\n<tr><th>SERVLET:</th><td>Stapler</td></tr>\n</table>\n</body>\n</html>\n`;
  response.writeHead(options.status, { 'content-type': 'text/html;charset=iso-8859-1', ...options.headers });
  response.end(body);
}

export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
