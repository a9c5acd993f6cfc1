/**
 * Issue 74 item 7: linking your account to company sign-in. Skyflo never links an identity-provider person to an
 * existing account by e-mail; the account's owner does it here, signed in: the engine answers the provider's address,
 * the provider asks you to sign in afresh, and the engine links you when the provider vouches for the same, verified
 * e-mail (never the break-glass account). The outcome comes back as `?oidc_link=linked` or `?oidc_link_error=<code>`.
 */
import { useMutation, useQuery } from '@tanstack/react-query';
import { useLocation } from 'react-router-dom';
import { skyflo } from '../../lib/api.ts';
import { Button, ErrorNote } from '../../components/ui.tsx';

const linkErrors: Record<string, string> = {
  email_unverified: 'Your identity provider does not say it verified your e-mail address, so it was not linked. Verify it with your provider, or ask an admin.',
  identity_mismatch: 'Not linked: you signed in at the provider as someone else (another e-mail), this account is already linked, or it is the break-glass account, which stays local.',
  account_disabled: 'Your Skyflo account is deactivated.',
  invalid_state: 'The link was started in another browser or took too long. Start again.',
};

export function CompanySignInSection() {
  const { search } = useLocation();
  const params = new URLSearchParams(search);
  const info = useQuery({ queryKey: ['oidc-info'], queryFn: () => skyflo.oidcInfo(), staleTime: 5 * 60_000 });
  const link = useMutation({
    mutationFn: () => skyflo.oidcLink(),
    // a full-page navigation: the provider signs you in and sends you back here
    onSuccess: ({ url }) => window.location.assign(url),
  });
  if (!info.data?.enabled) return null;
  const provider = info.data.provider_name ?? 'company sign-in';
  const failed = params.get('oidc_link_error');
  return (
    <section className="rounded-lg border border-border bg-panel p-5" aria-label="Company sign-in">
      <h2 className="font-semibold">Company sign-in</h2>
      <p className="mb-4 mt-0.5 text-sm text-muted">
        Link this account to your {provider} account, so you can sign in with it. Skyflo never links accounts by e-mail alone: you sign in at {provider} now, and it must vouch for this
        account's e-mail address.
      </p>
      {params.get('oidc_link') === 'linked' ? <p role="status" className="mb-3 text-sm text-ok">Linked: sign in with {provider} from now on.</p> : null}
      {failed ? <div className="mb-3"><ErrorNote>{linkErrors[failed] ?? 'The link did not go through. Try again, or ask your admin.'}</ErrorNote></div> : null}
      {link.isError ? <div className="mb-3"><ErrorNote>{link.error.message}</ErrorNote></div> : null}
      <Button variant="primary" disabled={link.isPending} onClick={() => link.mutate()}>
        Link to {provider}
      </Button>
    </section>
  );
}
