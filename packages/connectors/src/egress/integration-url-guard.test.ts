/**
 * Issue 74 item 5: the metadata address in IPv6 clothing. `http://[64:ff9b::a9fe:a9fe]/` (NAT64), 6to4 and the
 * IPv4-compatible spelling passed the guard while 14 IPv4 spellings were refused. Each row is a URL (or a DNS answer)
 * an admin could save as an integration; the guard must say no to every spelling of 169.254.169.254 and
 * 100.100.100.200, and yes to the ordinary addresses an on-premises Jenkins or Prometheus has.
 */
import { describe, expect, it } from 'vitest';
import { createIntegrationUrlGuard, isForbiddenAddress } from './integration-url-guard.ts';

const noDns = async () => {
  throw new Error('a literal address must not be resolved');
};

describe('the integration URL guard', () => {
  const guard = createIntegrationUrlGuard({ resolve: noDns });

  it.each([
    ['IPv4', 'http://169.254.169.254/latest/meta-data/'],
    ['IPv4 as one decimal number', 'http://2852039166/'],
    ['IPv4 in hex', 'http://0xa9.0xfe.0xa9.0xfe/'],
    ['Alibaba metadata', 'http://100.100.100.200/'],
    ['IPv4-mapped', 'http://[::ffff:169.254.169.254]/'],
    ['IPv4-mapped in hex', 'http://[::ffff:a9fe:a9fe]/'],
    ['IPv4-mapped, long form', 'http://[0:0:0:0:0:ffff:a9fe:a9fe]/'],
    ['IPv4-translated (RFC 6145)', 'http://[::ffff:0:a9fe:a9fe]/'],
    ['IPv4-compatible', 'http://[::169.254.169.254]/'],
    ['IPv4-compatible in hex', 'http://[::a9fe:a9fe]/'],
    ['NAT64 well-known prefix', 'http://[64:ff9b::a9fe:a9fe]/'],
    ['NAT64 with dotted tail', 'http://[64:ff9b::169.254.169.254]/'],
    ['NAT64 long form, upper case', 'http://[0064:FF9B:0000:0000:0000:0000:A9FE:A9FE]/'],
    ['NAT64 local-use prefix (RFC 8215)', 'http://[64:ff9b:1::a9fe:a9fe]/'],
    ['NAT64 to Alibaba metadata', 'http://[64:ff9b::6464:64c8]/'],
    ['6to4', 'http://[2002:a9fe:a9fe::1]/'],
    ['6to4, other host bits', 'http://[2002:a9fe:a9fe:ffff:ffff:ffff:ffff:ffff]/'],
    ['Teredo, server address', 'http://[2001:0:a9fe:a9fe::1]/'],
    ['Teredo, client address', 'http://[2001:0:4136:e378:8000:63bf:5601:5601]/'],
    ['IPv6 link-local', 'http://[fe80::1]/'],
    ['AWS IPv6 metadata', 'http://[fd00:ec2::254]/'],
    ['metadata host name', 'http://metadata.google.internal./computeMetadata/v1/'],
  ])('refuses %s (%s)', async (_spelling, url) => {
    expect(await guard(url)).toMatch(/link-local or cloud metadata address/);
  });

  it.each([
    ['private IPv4', 'http://10.0.0.5:8080/'],
    ['loopback', 'http://127.0.0.1:9090/'],
    ['IPv6 loopback', 'http://[::1]:9090/'],
    ['IPv4-mapped private', 'http://[::ffff:10.0.0.5]/'],
    ['NAT64 to a public address', 'http://[64:ff9b::808:808]/'],
    ['6to4 of a public address', 'http://[2002:808:808::1]/'],
    ['global IPv6', 'http://[2606:4700:4700::1111]/'],
    ['unique-local IPv6', 'http://[fd12:3456::1]/'],
  ])('allows %s (%s)', async (_spelling, url) => {
    expect(await guard(url)).toBeUndefined();
  });

  it.each(['64:ff9b::a9fe:a9fe', '2002:a9fe:a9fe::', '::a9fe:a9fe', '::ffff:169.254.169.254', 'fe80::1%eth0', '169.254.0.1'])('refuses a DNS answer of %s', async (address) => {
    const resolving = createIntegrationUrlGuard({ resolve: async () => [{ address, family: address.includes(':') ? 6 : 4 }] });
    expect(await resolving('https://prometheus.example.com/')).toBe(`https://prometheus.example.com resolves to ${address}, a link-local or cloud metadata address; integrations may not point there. Use the address of your Jenkins server`);
  });

  it('judges only addresses: a host name, garbage or an empty string is no forbidden address', () => {
    expect(isForbiddenAddress('prometheus.example.com')).toBe(false);
    expect(isForbiddenAddress('')).toBe(false);
    expect(isForbiddenAddress('::')).toBe(false);
  });
});
