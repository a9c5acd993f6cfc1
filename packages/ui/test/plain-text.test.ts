import { describe, expect, it } from 'vitest';
import { markdownToPlainText } from '../src/components/plain-text.ts';

describe('Copy text: an answer as plain text', () => {
  it('drops emphasis, code and heading syntax and keeps one blank line between blocks', () => {
    expect(markdownToPlainText('## Rollout\n\nOnly **web** runs in `default`, *all* ~~two~~ replicas ready.\n\n---\n\nDone.')).toBe(
      'Rollout\n\nOnly web runs in default, all two replicas ready.\n\nDone.',
    );
  });

  it('writes a table as aligned columns under a rule, cells without their Markdown', () => {
    const markdown = '| Deployment | Ready | Restarts |\n|---|---|---:|\n| **web** | 2/2 | 0 |\n| `api-gateway` | 1/3 | 12 |';
    expect(markdownToPlainText(markdown)).toBe(
      ['Deployment   Ready  Restarts', '-----------  -----  --------', 'web          2/2           0', 'api-gateway  1/3          12'].join('\n'),
    );
  });

  it('keeps code blocks verbatim, list markers, task states and link addresses', () => {
    const markdown = [
      'Apply this:',
      '```yaml\nspec:\n  replicas: 3 # **not bold**\n```',
      '- first\n- second with [the docs](https://kubernetes.io/docs/)\n  - nested',
      '3. three\n4. four',
      '- [x] done\n- [ ] open',
      '> quoted *text*',
    ].join('\n\n');
    expect(markdownToPlainText(markdown)).toBe(
      [
        'Apply this:',
        'spec:\n  replicas: 3 # **not bold**',
        '• first\n• second with the docs (https://kubernetes.io/docs/)\n  • nested',
        '3. three\n4. four',
        '• [x] done\n• [ ] open',
        '  quoted text',
      ].join('\n\n'),
    );
  });

  it('keeps line breaks and plain text as they are', () => {
    expect(markdownToPlainText('line one  \nline two')).toBe('line one\nline two');
    expect(markdownToPlainText('no markdown here')).toBe('no markdown here');
    expect(markdownToPlainText('')).toBe('');
  });
});
