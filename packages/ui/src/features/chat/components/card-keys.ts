/**
 * When a single key on an approval card may decide it. A card never takes the focus: a card that appears while the
 * user types in the message box must not turn the "a" of "please" into an approval. So A / D decide only after the
 * user deliberately moved into the card — a pointer press inside it, or a Tab that landed in it (its keyup fires in
 * the card) — and only for a fresh key pressed there:
 *  - not an auto-repeat (a key held down since before the focus moved repeats into the card);
 *  - not part of an IME composition (isComposing, the 229 "Process" key);
 *  - a fresh keydown in the card (a key pressed elsewhere and held only reaches the card as repeats, refused above);
 *  - no modifier (Ctrl+A selects text, it does not approve), and not typed into the reason field.
 * Pure (no React), so the rules are tested directly.
 */

/** The facts of a keydown the rules read (a subset of KeyboardEvent, so tests can build them). */
export interface CardKey {
  key: string;
  repeat: boolean;
  isComposing: boolean;
  keyCode?: number;
  ctrlKey: boolean;
  metaKey: boolean;
  altKey: boolean;
  /** when the event happened (Event.timeStamp) */
  timeStamp: number;
  /** the event's target is the reason field or another text field inside the card */
  inTextField: boolean;
  /** the event's target is inside the card (it bubbled up from the card, not dispatched elsewhere) */
  inCard: boolean;
}

export interface CardArming {
  /** when the user moved into the card on purpose (Event.timeStamp of the pointerdown / Tab keyup); undefined: not armed */
  armedAt?: number;
}

export type CardDecisionKey = 'approve' | 'deny';

/** The decision a keydown makes on an armed card, or undefined when it makes none. */
export function decisionOfKey(key: CardKey, arming: CardArming): CardDecisionKey | undefined {
  if (arming.armedAt === undefined) return undefined;
  if (!key.inCard || key.inTextField) return undefined;
  if (key.repeat || key.isComposing || key.keyCode === 229 || key.key === 'Process' || key.key === 'Dead') return undefined;
  if (key.ctrlKey || key.metaKey || key.altKey) return undefined;
  // A key that arrived in the same moment the focus moved is not a decision: it must come after the arming gesture.
  if (!(key.timeStamp > arming.armedAt)) return undefined;
  const name = key.key.toLowerCase();
  if (name === 'a') return 'approve';
  if (name === 'd') return 'deny';
  return undefined;
}
