import { describe, expect, it } from 'vitest';
import { createPalette } from './colors.ts';
import { layoutWidth, packItems, terminalRows, wrapHanging, wrapLines } from './terminal-rows.ts';
import { stripVTControlCharacters } from 'node:util';

const widest = (text: string) => Math.max(...stripVTControlCharacters(text).split('\n').map((row) => row.length));

describe('text sized for the terminal', () => {
  it('counts the rows a text takes: one per line, more for a line the terminal wraps, two columns for a wide character', () => {
    expect(terminalRows('short\n', 20)).toBe(2);
    expect(terminalRows('x'.repeat(20), 20)).toBe(1);
    expect(terminalRows('x'.repeat(21), 20)).toBe(2);
    expect(terminalRows('日本語のテキスト', 8)).toBe(2);
  });

  it('wraps at spaces under a hanging indent, every row within the width and every word whole', () => {
    const reason = 'Changes the cluster: scales deployment prod/checkout to 3 replicas — approval policy self';
    const wrapped = wrapHanging('│ why       ', reason, `│ ${' '.repeat(10)}`, 44);
    const rows = wrapped.split('\n');
    expect(rows.length).toBeGreaterThan(1);
    expect(widest(wrapped)).toBeLessThanOrEqual(44);
    expect(rows[0]).toMatch(/^│ why {7}Changes/);
    for (const row of rows.slice(1)) expect(row).toMatch(/^│ {11}\S/);
    expect(rows.map((row) => row.slice(12)).join(' ')).toBe(reason);
    // a line that fits is left as it is, and no width means no wrapping
    expect(wrapHanging('│ ', 'fits', '│   ', 44)).toBe('│ fits');
    expect(wrapHanging('│ ', reason, '│   ', undefined)).toBe(`│ ${reason}`);
  });

  it('keeps a colour across the rows it wraps onto', () => {
    const palette = createPalette(true);
    const rows = wrapHanging('', palette.green('+ a green line of a diff that is too long'), '  ', 20).split('\n');
    expect(rows.length).toBeGreaterThan(1);
    for (const row of rows) expect(row).toContain('\x1b[32m');
  });

  it('packs items on as few rows as fit, never splitting one', () => {
    const keys = ['[a] approve', '[a!] approve with automatic revert', '[d] deny (with a reason)', '[f] full args'];
    const packed = packItems('╰─ ', keys, '   ', 44);
    expect(widest(packed)).toBeLessThanOrEqual(44);
    expect(packed.split('\n')).toEqual(['╰─ [a] approve', '   [a!] approve with automatic revert', '   [d] deny (with a reason)  [f] full args']);
    expect(packItems('╰─ ', keys, '   ', 200)).toBe(`╰─ ${keys.join('  ')}`);
  });

  it('wraps each line under its own indent', () => {
    expect(wrapLines('    /undo proposes its inverse (shown, then decided like any change)', 30).split('\n')).toEqual([
      '    /undo proposes its',
      '      inverse (shown, then',
      '      decided like any change)',
    ]);
    // a path longer than the width stays whole, so it can be copied (the terminal folds it)
    const path = '/home/sam/.config/skyflo/credentials.json';
    expect(wrapLines(`tokens kept in ${path} (readable by you only).`, 30).split('\n')).toEqual(['tokens kept in', `  ${path}`, '  (readable by you only).']);
  });

  it('lays text out to the width of the terminal, at most 120 columns, and 100 when the output is not a terminal', () => {
    expect(layoutWidth(44)).toBe(44);
    expect(layoutWidth(200)).toBe(120);
    expect(layoutWidth(undefined)).toBe(100);
  });
});
