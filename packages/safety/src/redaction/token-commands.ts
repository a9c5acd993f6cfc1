/**
 * Passwords on command lines (shell traces in build logs, container commands, `ps` output): long flags whose name
 * says secret (`--db-password=…`), and the short flags that mean "password" only for one command (`mysql -pPASS`,
 * `redis-cli -a PASS`, `sshpass -p PASS`, `ldapsearch -w PASS`…), where the same flag elsewhere is a port or a path.
 */
import { HAS_INLINE_WORD, INLINE_WORD, notStructural, type TokenPattern } from './names.ts';

/** What may precede a command word: start of line, a blank, a path, a quote (a backtick too: Markdown code in an answer) or a shell operator. */
const COMMAND_START = String.raw`(?:^|(?<=[\s"'\`/;&|(]))`;
/** A value that ends at a blank, a quote or a shell operator. */
const PLAIN_VALUE = String.raw`(?!-)[^\s"'|;&]+`;

/** Commands whose short flag takes the password as the next word. */
const SPACE_SEPARATED_PASSWORD_FLAGS: ReadonlyArray<{ commands: string; flag: string }> = [
  { commands: '(?:docker|podman|nerdctl|buildah|skopeo|oras|crane|helm[ \\t]+registry)[ \\t]+login|twine', flag: '-p' },
  { commands: 'redis-cli|valkey-cli|keydb-cli', flag: '-a' },
  { commands: 'sshpass', flag: '-p' },
  { commands: 'ldapsearch|ldapadd|ldapmodify|ldapdelete|ldapwhoami|ldappasswd|ldapcompare', flag: '-w' },
  { commands: 'sqlcmd|bcp|osql|isql', flag: '-P' },
  { commands: 'mongo|mongosh|mongodump|mongorestore|mongoexport|mongoimport|mongostat|mongotop', flag: '-p' },
  { commands: 'az', flag: '-p' },
  { commands: 'zip|7z', flag: '-P' },
  { commands: 'keytool', flag: '-(?:src|dest|new)?(?:store|key)?pass' },
];

/** mysql and its tools take the password glued to -p (`-pPASS`, `-p'PASS'`); `-p` alone prompts, `-P` is the port. */
const MYSQL_COMMANDS = 'mysql|mysqldump|mysqladmin|mysqlimport|mysqlcheck|mysqlshow|mysqlslap|mysqlpump|mysqlsh|mysqlbinlog|mariadb|mariadb-dump|mariadb-admin|mariadb-import|mariadb-check';

/** Passed by every text that names one of the commands above: the `requires` of their rules (one test for them all). */
const NAMES_A_PASSWORD_COMMAND = new RegExp([MYSQL_COMMANDS, ...SPACE_SEPARATED_PASSWORD_FLAGS.map(({ commands }) => commands), 'htpasswd'].map((commands) => `(?:${commands})\\b`).join('|'));

export const COMMAND_TOKEN_PATTERNS: ReadonlyArray<TokenPattern> = [
  // Command-line flags: --db-password=…, --token …, --client-secret=… (a space-separated value on the same line).
  {
    name: 'cli-flag',
    pattern: new RegExp(`(?<pre>(?:^|[\\s"'=])--?(?<name>[A-Za-z0-9_.-]*${INLINE_WORD}[A-Za-z0-9_.-]*)(?:=|[ \\t]+))(?<secret>(?!-)[^\\s"']+)`, 'gim'),
    accept: notStructural,
    requires: HAS_INLINE_WORD,
  },
  { name: 'cli-oauth2-bearer', pattern: /(?<pre>--oauth2-bearer(?:=|[ \t]+))(?<secret>[^\s"']+)/g, requires: /--oauth2-bearer/ },
  {
    name: 'cli-mysql-p',
    // at the flag, looking behind for the command (as the flag rules below), not from each command name to the line's
    // end: a line naming mysql many times was quadratic in its length
    pattern: new RegExp(`(?=[ \\t]-p[^\\s|;&])(?<=${COMMAND_START}(?:${MYSQL_COMMANDS})\\b[^\\n|;&]*?)(?<pre>[ \\t]-p)(?<secret>"[^"\\n]+"|'[^'\\n]+'|[^\\s"'|;&]+)`, 'gm'),
    requires: NAMES_A_PASSWORD_COMMAND,
  },
  // The command is looked for behind the flag, not matched: a line can hold the flag more than once (`keytool
  // -importkeystore -srcstorepass A -deststorepass B`), and a match that began at the command took only the first.
  // The lookahead first, for the same matches at a fraction of the cost: the look behind scans back to the line's
  // start from every position it is tried at, so, tried everywhere, it made these rules quadratic in a line's length
  // (a 500-character answer naming mysql took 1.9 ms to redact, 0.02 without the name; streamed word by word, 50 ms).
  ...SPACE_SEPARATED_PASSWORD_FLAGS.map(({ commands, flag }) => ({
    name: `cli-password-flag ${flag}`,
    pattern: new RegExp(`(?=[ \\t]${flag}[ \\t])(?<=${COMMAND_START}(?:${commands})\\b[^\\n|;&]*?)(?<pre>[ \\t]${flag}[ \\t]+)(?<secret>${PLAIN_VALUE})`, 'gm'),
    requires: NAMES_A_PASSWORD_COMMAND,
  })),
  // htpasswd -b[c|n…] [file] user PASSWORD: batch mode takes the password as the last positional argument.
  {
    name: 'cli-htpasswd-batch',
    pattern: new RegExp(`(?<pre>${COMMAND_START}htpasswd[ \\t]+-[a-zA-Z]*b[a-zA-Z]*[ \\t]+(?:-\\S+[ \\t]+)*(?:[^\\s-]\\S*[ \\t]+){1,2})(?<secret>(?![>|&;])${PLAIN_VALUE})`, 'gm'),
    requires: NAMES_A_PASSWORD_COMMAND,
  },
  // sqlplus user/PASSWORD@db (Oracle tools), jdbc:oracle:thin:user/PASSWORD@host
  { name: 'cli-oracle-login', pattern: /(?<pre>(?:\b(?:sqlplus|rman|expdp|impdp|dgmgrl)(?:[ \t]+-\S+)*[ \t]+|jdbc:oracle:[a-z]+:)["']?[\w$#.]+\/)(?<secret>[^\s@"'/]+)(?<post>@)/g, requires: /sqlplus|rman|expdp|impdp|dgmgrl|jdbc:oracle:/ },
  // rabbitmqctl add_user NAME PASSWORD / change_password NAME PASSWORD
  // (the value's place first, the command behind it: from each command name to the line's end was quadratic; tried at
  // every position, the look behinds cost ~1.5 µs on a paragraph of prose, so a text without the command skips it)
  {
    name: 'cli-rabbitmqctl',
    pattern: /(?<=\b(?:add_user|change_password)[ \t]+\S+[ \t]+)(?<=\brabbitmqctl\b[^\n]*?)(?<secret>[^\s"'|;&]+)/g,
    requires: /rabbitmqctl/,
  },
  // openssl … -passin pass:SECRET / -passout pass:SECRET
  { name: 'cli-openssl-pass', pattern: /(?<pre>[ \t]-pass(?:in|out)?[ \t]+pass:)(?<secret>[^\s"'|;&]+)/g, requires: /pass:/ },
  // echo SECRET | docker login --password-stdin: the echoed word is the password (a $VARIABLE is not).
  {
    name: 'cli-echo-password-stdin',
    pattern: /(?<pre>\b(?:echo|printf)[ \t]+(?:-[neE]+[ \t]+)?)(?<secret>"[^"\n]*"|'[^'\n]*'|[^\s|;&]+)(?<post>[ \t]*\|[^\n]*--password-stdin)/g,
    accept: (groups) => !/^["']?\$/.test(groups['secret'] ?? ''),
    requires: /--password-stdin/,
  },
  // `curl -u user:password`, `--user user:password`
  { name: 'cli-user-password', pattern: /(?<pre>(?:^|\s)(?:-u|--user)[ \t]+[^\s:]+:)(?<secret>[^\s@"']+)/gm, requires: /-u/ },
  // `aws configure set aws_secret_access_key …`
  { name: 'cli-configure-set', pattern: /(?<pre>\bconfigure\s+set\s+\S*(?:secret|token|password)\S*[ \t]+)(?<secret>\S+)/gi, requires: /configure/i },
];
