/** One colour palette for the client: picocolors with colours on or off, decided once from NO_COLOR/FORCE_COLOR/TTY. */
import picocolors from 'picocolors';

export type Palette = ReturnType<typeof picocolors.createColors>;

export function shouldUseColors(input: { isTTY: boolean; noColor: boolean; forceColor: boolean }): boolean {
  if (input.noColor) return false;
  return input.forceColor || input.isTTY;
}

export function createPalette(enabled: boolean): Palette {
  return picocolors.createColors(enabled);
}
