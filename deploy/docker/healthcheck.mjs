// HEALTHCHECK for every role of the image: the engine answers /livez on PORT (default 8080), the MCP server
// /health on 8888 (or its --port), the operator /healthz on its --health-port. Healthy when the role's endpoint answers 200.
const role = process.env.SKYFLO_ROLE;
const candidates = [
  `http://127.0.0.1:${process.env.PORT ?? 8080}/livez`,
  `http://127.0.0.1:${process.env.MCP_PORT ?? 8888}/health`,
  `http://127.0.0.1:${process.env.HEALTH_PORT ?? 8081}/healthz`,
];
const urls = role === 'mcp' ? [candidates[1]] : role === 'operator' ? [candidates[2]] : role === 'serve' ? [candidates[0]] : candidates;
for (const url of urls) {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(3000) });
    if (response.ok) process.exit(0);
  } catch {
    // try the next role's endpoint
  }
}
process.exit(1);
