// Downloads a URL to a file (the image build has node but no curl). The caller checks the sha256 of what it needs.
//   node fetch-verified.mjs URL OUTPUT
import { writeFile } from 'node:fs/promises';

const [url, output] = process.argv.slice(2);
const response = await fetch(url, { redirect: 'follow' });
if (!response.ok) {
  console.error(`GET ${url}: HTTP ${response.status}`);
  process.exit(1);
}
await writeFile(output, Buffer.from(await response.arrayBuffer()), { mode: 0o755 });
