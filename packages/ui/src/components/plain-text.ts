/** The Markdown → plain-text conversion lives in the protocol package, so the terminal client (`skyflo chat -p`) prints the same text "Copy text" copies. */
export { markdownToPlainText } from '@skyflo/protocol/plain-text';
