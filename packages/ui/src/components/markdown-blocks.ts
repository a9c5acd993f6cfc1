/**
 * Splits streaming text into finished Markdown blocks (blank-line separated, never inside an open ``` fence) and the
 * growing tail, so each animation frame re-parses only the tail: a long answer stays cheap to stream.
 */
export function splitBlocks(text: string): string[] {
  const blocks: string[] = [];
  let start = 0;
  let fenceOpen = false;
  for (let index = 0; index < text.length; index += 1) {
    if (text.startsWith('```', index) && (index === 0 || text[index - 1] === '\n')) fenceOpen = !fenceOpen;
    if (!fenceOpen && text[index] === '\n' && text[index + 1] === '\n') {
      blocks.push(text.slice(start, index));
      start = index + 2;
      index += 1;
    }
  }
  blocks.push(text.slice(start));
  return blocks.filter((block, index, all) => block.trim() !== '' || index === all.length - 1);
}
