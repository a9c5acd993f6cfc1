/**
 * A parser for the POSIX shell subset people put in `command: [sh, -c, …]`, probes and `kubectl exec`:
 * simple commands with quoting and `$VAR`/`${VAR:-x}`/`$(…)`/`$((…))` expansion, redirects, pipes,
 * `&&`, `||`, `;`, `&`, `if`/`while`/`until`/`for`, `{ …; }` and `( … )`.
 */

export type WordPart =
  | { kind: 'literal'; text: string; quoted: boolean }
  | { kind: 'variable'; name: string; operator?: string; argument?: Word; quoted: boolean }
  | { kind: 'command'; script: Script; quoted: boolean }
  | { kind: 'arithmetic'; expression: string; quoted: boolean };

export type Word = WordPart[];

export interface Redirect {
  fd: number;
  operator: '>' | '>>' | '<' | '>&' | '<<<';
  target: Word;
}

export interface SimpleCommand {
  type: 'simple';
  assignments: Array<{ name: string; value: Word }>;
  words: Word[];
  redirects: Redirect[];
}

export type Command =
  | SimpleCommand
  | { type: 'if'; clauses: Array<{ condition: Script; body: Script }>; otherwise?: Script; redirects: Redirect[] }
  | { type: 'loop'; until: boolean; condition: Script; body: Script; redirects: Redirect[] }
  | { type: 'for'; variable: string; items?: Word[]; body: Script; redirects: Redirect[] }
  | { type: 'group'; body: Script; subshell: boolean; redirects: Redirect[] };

export interface Pipeline {
  negated: boolean;
  commands: Command[];
}

export interface AndOr {
  first: Pipeline;
  rest: Array<{ operator: '&&' | '||'; pipeline: Pipeline }>;
  background: boolean;
}

export type Script = AndOr[];

export class ShellSyntaxError extends Error {}

const reserved = new Set(['then', 'else', 'elif', 'fi', 'do', 'done', '}', 'in']);

class Parser {
  position = 0;
  constructor(private readonly source: string) {}

  private peek(offset = 0): string {
    return this.source[this.position + offset] ?? '';
  }

  private skipBlanks(): void {
    for (;;) {
      const character = this.peek();
      if (character === ' ' || character === '\t') this.position++;
      else if (character === '\\' && this.peek(1) === '\n') this.position += 2;
      else if (character === '#') {
        while (this.position < this.source.length && this.peek() !== '\n') this.position++;
      } else return;
    }
  }

  private skipSeparators(): void {
    for (;;) {
      this.skipBlanks();
      if (this.peek() === '\n' || (this.peek() === ';' && this.peek(1) !== ';')) this.position++;
      else return;
    }
  }

  private atEnd(): boolean {
    return this.position >= this.source.length;
  }

  /** The next unquoted literal word without consuming it (for keywords). */
  private peekKeyword(): string | undefined {
    this.skipBlanks();
    const match = /^[A-Za-z_{}!][A-Za-z0-9_]*|^[{}!]/.exec(this.source.slice(this.position));
    if (!match) return undefined;
    const after = this.source[this.position + match[0].length] ?? '';
    if (after && !/[\s;&|()<>]/.test(after)) return undefined;
    return match[0];
  }

  private expectKeyword(keyword: string): void {
    if (this.peekKeyword() !== keyword) {
      const found = this.atEnd() ? 'end of file' : `"${this.source.slice(this.position, this.position + 10).split('\n')[0]}"`;
      throw new ShellSyntaxError(`syntax error: unexpected ${found} (expecting "${keyword}")`);
    }
    this.position += keyword.length;
  }

  parseScript(terminators: string[] = []): Script {
    const script: Script = [];
    for (;;) {
      this.skipSeparators();
      if (this.atEnd()) break;
      if (this.peek() === ')' && terminators.includes(')')) break;
      const keyword = this.peekKeyword();
      if (keyword && terminators.includes(keyword)) break;
      if (keyword && reserved.has(keyword)) throw new ShellSyntaxError(`syntax error: unexpected "${keyword}"`);
      script.push(this.parseAndOr());
    }
    return script;
  }

  private parseAndOr(): AndOr {
    const node: AndOr = { first: this.parsePipeline(), rest: [], background: false };
    for (;;) {
      this.skipBlanks();
      const two = this.source.slice(this.position, this.position + 2);
      if (two === '&&' || two === '||') {
        this.position += 2;
        this.skipSeparators();
        node.rest.push({ operator: two, pipeline: this.parsePipeline() });
        continue;
      }
      if (this.peek() === '&' && this.peek(1) !== '>') {
        this.position++;
        node.background = true;
      }
      return node;
    }
  }

  private parsePipeline(): Pipeline {
    let negated = false;
    if (this.peekKeyword() === '!') {
      this.position++;
      negated = true;
    }
    const commands = [this.parseCommand()];
    for (;;) {
      this.skipBlanks();
      if (this.peek() === '|' && this.peek(1) !== '|') {
        this.position++;
        this.skipSeparators();
        commands.push(this.parseCommand());
      } else return { negated, commands };
    }
  }

  private parseCommand(): Command {
    const keyword = this.peekKeyword();
    if (keyword === 'if') return this.withRedirects(this.parseIf());
    if (keyword === 'while' || keyword === 'until') {
      this.position += keyword.length;
      const condition = this.parseScript(['do']);
      this.expectKeyword('do');
      const body = this.parseScript(['done']);
      this.expectKeyword('done');
      return this.withRedirects({ type: 'loop', until: keyword === 'until', condition, body, redirects: [] });
    }
    if (keyword === 'for') {
      this.position += 3;
      this.skipBlanks();
      const variable = /^[A-Za-z_][A-Za-z0-9_]*/.exec(this.source.slice(this.position))?.[0];
      if (!variable) throw new ShellSyntaxError('syntax error: bad for loop variable');
      this.position += variable.length;
      let items: Word[] | undefined;
      this.skipSeparators();
      if (this.peekKeyword() === 'in') {
        this.position += 2;
        items = [];
        for (;;) {
          this.skipBlanks();
          if (this.peek() === ';' || this.peek() === '\n' || this.atEnd()) break;
          items.push(this.parseWord());
        }
      }
      this.skipSeparators();
      this.expectKeyword('do');
      const body = this.parseScript(['done']);
      this.expectKeyword('done');
      return this.withRedirects({ type: 'for', variable, items, body, redirects: [] });
    }
    if (keyword === '{') {
      this.position++;
      const body = this.parseScript(['}']);
      this.expectKeyword('}');
      return this.withRedirects({ type: 'group', body, subshell: false, redirects: [] });
    }
    this.skipBlanks();
    if (this.peek() === '(' && this.peek(1) !== '(') {
      this.position++;
      const body = this.parseScript([')']);
      if (this.peek() !== ')') throw new ShellSyntaxError('syntax error: unterminated (');
      this.position++;
      return this.withRedirects({ type: 'group', body, subshell: true, redirects: [] });
    }
    return this.parseSimple();
  }

  private parseIf(): Command {
    this.position += 2;
    const clauses: Array<{ condition: Script; body: Script }> = [];
    let otherwise: Script | undefined;
    for (;;) {
      const condition = this.parseScript(['then']);
      this.expectKeyword('then');
      const body = this.parseScript(['elif', 'else', 'fi']);
      clauses.push({ condition, body });
      const next = this.peekKeyword();
      if (next === 'elif') {
        this.position += 4;
        continue;
      }
      if (next === 'else') {
        this.position += 4;
        otherwise = this.parseScript(['fi']);
      }
      this.expectKeyword('fi');
      return { type: 'if', clauses, otherwise, redirects: [] };
    }
  }

  private withRedirects<T extends Command>(command: T): T {
    for (;;) {
      this.skipBlanks();
      const redirect = this.parseRedirect();
      if (!redirect) return command;
      command.redirects.push(redirect);
    }
  }

  private parseRedirect(): Redirect | undefined {
    const match = /^(\d?)(>>|>&|<<<|&>|>\||>|<)/.exec(this.source.slice(this.position));
    if (!match) return undefined;
    this.position += match[0].length;
    this.skipBlanks();
    const target = this.parseWord();
    if (target.length === 0) throw new ShellSyntaxError('syntax error: unexpected redirection');
    if (match[2] === '&>') return { fd: -1, operator: '>', target };
    const operator = match[2] === '>|' ? '>' : (match[2] as Redirect['operator']);
    const fd = match[1] ? Number(match[1]) : operator === '<' || operator === '<<<' ? 0 : 1;
    return { fd, operator, target };
  }

  private parseSimple(): SimpleCommand {
    const command: SimpleCommand = { type: 'simple', assignments: [], words: [], redirects: [] };
    for (;;) {
      this.skipBlanks();
      const character = this.peek();
      if (!character || character === '\n' || character === ';' || character === '|' || character === ')' || (character === '&' && this.peek(1) !== '>')) break;
      const redirect = this.parseRedirect();
      if (redirect) {
        command.redirects.push(redirect);
        continue;
      }
      if (command.words.length === 0) {
        const assignment = /^([A-Za-z_][A-Za-z0-9_]*)=/.exec(this.source.slice(this.position));
        if (assignment) {
          this.position += assignment[0].length;
          command.assignments.push({ name: assignment[1], value: this.parseWord() });
          continue;
        }
      }
      const word = this.parseWord();
      if (word.length === 0) throw new ShellSyntaxError(`syntax error: unexpected "${character}"`);
      command.words.push(word);
    }
    if (command.words.length === 0 && command.assignments.length === 0 && command.redirects.length === 0) {
      throw new ShellSyntaxError(`syntax error: unexpected "${this.peek() || 'end of file'}"`);
    }
    return command;
  }

  /** One word, up to an unquoted blank or operator; empty when none starts here. */
  parseWord(): Word {
    const parts: Word = [];
    let literal = '';
    const flush = (quoted: boolean) => {
      if (literal) parts.push({ kind: 'literal', text: literal, quoted });
      literal = '';
    };
    for (;;) {
      const character = this.peek();
      if (!character || /[\s;&|()<>]/.test(character)) break;
      if (character === '\\') {
        literal += this.peek(1);
        this.position += 2;
        continue;
      }
      if (character === "'") {
        flush(false);
        const end = this.source.indexOf("'", this.position + 1);
        if (end < 0) throw new ShellSyntaxError('syntax error: unterminated quoted string');
        parts.push({ kind: 'literal', text: this.source.slice(this.position + 1, end), quoted: true });
        this.position = end + 1;
        continue;
      }
      if (character === '"') {
        flush(false);
        this.position++;
        this.parseDoubleQuoted(parts);
        continue;
      }
      if (character === '$' || character === '`') {
        const expansion = this.parseExpansion(false);
        if (expansion) {
          flush(false);
          parts.push(expansion);
          continue;
        }
      }
      literal += character;
      this.position++;
    }
    flush(false);
    return parts;
  }

  private parseDoubleQuoted(parts: Word): void {
    let literal = '';
    const flush = () => {
      parts.push({ kind: 'literal', text: literal, quoted: true });
      literal = '';
    };
    for (;;) {
      const character = this.peek();
      if (!character) throw new ShellSyntaxError('syntax error: unterminated quoted string');
      if (character === '"') {
        this.position++;
        flush();
        return;
      }
      if (character === '\\' && /["\\$`\n]/.test(this.peek(1))) {
        literal += this.peek(1) === '\n' ? '' : this.peek(1);
        this.position += 2;
        continue;
      }
      if (character === '$' || character === '`') {
        const expansion = this.parseExpansion(true);
        if (expansion) {
          if (literal) flush();
          parts.push(expansion);
          continue;
        }
      }
      literal += character;
      this.position++;
    }
  }

  private parseExpansion(quoted: boolean): WordPart | undefined {
    const rest = this.source.slice(this.position);
    if (rest.startsWith('`')) {
      const end = this.source.indexOf('`', this.position + 1);
      if (end < 0) throw new ShellSyntaxError('syntax error: unterminated `');
      const script = parseShell(this.source.slice(this.position + 1, end));
      this.position = end + 1;
      return { kind: 'command', script, quoted };
    }
    if (rest.startsWith('$((')) {
      let depth = 0;
      let index = this.position + 1;
      for (; index < this.source.length; index++) {
        if (this.source[index] === '(') depth++;
        else if (this.source[index] === ')') {
          depth--;
          if (depth === 0) break;
        }
      }
      const expression = this.source.slice(this.position + 3, index - 1);
      this.position = index + 1;
      return { kind: 'arithmetic', expression, quoted };
    }
    if (rest.startsWith('$(')) {
      this.position += 2;
      const script = this.parseScript([')']);
      if (this.peek() !== ')') throw new ShellSyntaxError('syntax error: unterminated $(');
      this.position++;
      return { kind: 'command', script, quoted };
    }
    if (rest.startsWith('${')) {
      const match = /^\$\{(#?)([A-Za-z_][A-Za-z0-9_]*|[0-9@*#?$!])(:?[-=+?]|##?|%%?)?/.exec(rest);
      if (!match) throw new ShellSyntaxError(`syntax error: bad substitution`);
      this.position += match[0].length;
      let argument: Word | undefined;
      if (match[3]) {
        argument = [];
        let literal = '';
        for (;;) {
          const character = this.peek();
          if (!character) throw new ShellSyntaxError('syntax error: missing }');
          if (character === '}') break;
          if (character === '$') {
            const expansion = this.parseExpansion(quoted);
            if (expansion) {
              if (literal) argument.push({ kind: 'literal', text: literal, quoted });
              literal = '';
              argument.push(expansion);
              continue;
            }
          }
          if ((character === '"' || character === "'") && !quoted) {
            this.position++;
            continue;
          }
          literal += character;
          this.position++;
        }
        if (literal) argument.push({ kind: 'literal', text: literal, quoted });
      }
      if (this.peek() !== '}') throw new ShellSyntaxError('syntax error: bad substitution');
      this.position++;
      return { kind: 'variable', name: match[1] ? `#${match[2]}` : match[2], operator: match[3], argument, quoted };
    }
    const match = /^\$([A-Za-z_][A-Za-z0-9_]*|[0-9@*#?$!])/.exec(rest);
    if (!match) return undefined;
    this.position += match[0].length;
    return { kind: 'variable', name: match[1], quoted };
  }
}

export function parseShell(source: string): Script {
  const parser = new Parser(source);
  const script = parser.parseScript();
  if (parser.position < source.length) {
    throw new ShellSyntaxError(`syntax error: unexpected "${source.slice(parser.position, parser.position + 1)}"`);
  }
  return script;
}
