import type { UpdateLlmSettingsRequest } from '@skyflo/protocol';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState, type FormEvent } from 'react';
import { skyflo } from '../../lib/api.ts';
import { isUnavailable } from '../../components/unavailable.tsx';
import { Badge, Button, ErrorNote, Field, Input, Spinner } from '../../components/ui.tsx';
import { CommandText } from '../../components/command-text.tsx';

/** The model Skyflo uses (admins): provider, model, base URL, key (write-only), with a test before saving. */
export function LlmSection() {
  const queryClient = useQueryClient();
  const settings = useQuery({ queryKey: ['settings', 'llm'], queryFn: () => skyflo.llmSettings(), retry: false });
  const providers = useQuery({ queryKey: ['settings', 'llm', 'providers'], queryFn: () => skyflo.llmProviders(), retry: false, enabled: settings.isSuccess });
  const [provider, setProvider] = useState('');
  useEffect(() => setProvider((current) => current || settings.data?.provider || ''), [settings.data?.provider]);
  const chosen = providers.data?.find((item) => item.id === provider);
  // a local Ollama lists the models it has pulled; the others offer the catalogue's known models
  const ollama = useQuery({
    queryKey: ['settings', 'llm', 'ollama-models'],
    queryFn: () => skyflo.ollamaModels(),
    retry: false,
    enabled: settings.isSuccess && provider === 'ollama',
  });
  const modelOptions = [...new Set([...(provider === 'ollama' ? (ollama.data?.models ?? []) : []), ...(chosen?.example_models ?? [])])];

  const candidate = (form: FormData): UpdateLlmSettingsRequest => ({
    provider,
    model: String(form.get('model') ?? ''),
    ...(form.get('base_url') ? { base_url: String(form.get('base_url')) } : {}),
    ...(form.get('api_key') ? { api_key: String(form.get('api_key')) } : {}),
  });
  const test = useMutation({ mutationFn: (body: UpdateLlmSettingsRequest) => skyflo.testLlmSettings(body) });
  const save = useMutation({ mutationFn: (body: UpdateLlmSettingsRequest) => skyflo.saveLlmSettings(body), onSuccess: (data) => queryClient.setQueryData(['settings', 'llm'], data) });

  if (settings.isPending) return <Spinner />;
  if (settings.isError) {
    if (isUnavailable(settings.error)) return null; // an engine without runtime model settings: configured by environment only
    return <ErrorNote>{settings.error.message}</ErrorNote>;
  }
  const current = settings.data;
  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const submitter = (event.nativeEvent as SubmitEvent).submitter as HTMLButtonElement | null;
    const body = candidate(new FormData(event.currentTarget));
    if (submitter?.value === 'test') test.mutate(body);
    else save.mutate(body);
  };
  return (
    <section id="model" className="rounded-lg border border-border bg-panel p-5" aria-label="Model">
      <div className="flex items-center gap-2">
        <h2 className="font-semibold">Model</h2>
        <Badge tone={current.configured ? 'ok' : 'warn'}>{current.configured ? 'Configured' : 'Not configured'}</Badge>
        {current.source === 'environment' ? <Badge tone="neutral">Set by the environment</Badge> : null}
      </div>
      <p className="mb-4 mt-0.5 text-sm text-muted">
        {current.configured ? `Chats use ${current.provider}/${current.model}.` : 'Chats cannot run until a model is configured.'}
      </p>
      {current.source === 'environment' ? (
        <p role="note" className="mb-4 rounded-md border border-border bg-panel-2 px-3 py-2 text-sm">
          The environment wins: {current.environment_overrides.join(', ')} {current.environment_overrides.length === 1 ? 'is' : 'are'} set on the server, so what you save here is stored but
          not used until {current.environment_overrides.length === 1 ? 'it is' : 'they are'} removed.
        </p>
      ) : null}
      {/* with nothing configured the engine's problem names environment variables; this form is the other way */}
      {current.problem && current.source !== 'none' ? <div className="mb-3"><ErrorNote><CommandText text={current.problem} /></ErrorNote></div> : null}
      <form onSubmit={submit} className="grid max-w-2xl grid-cols-1 gap-3 md:grid-cols-2">
        <Field label="Provider" htmlFor="llm-provider">
          <select id="llm-provider" value={provider} onChange={(event) => setProvider(event.target.value)} required className="h-9 w-full rounded-md border border-border bg-panel px-2 text-sm">
            <option value="" disabled>
              Choose…
            </option>
            {(providers.data ?? []).map((item) => (
              <option key={item.id} value={item.id}>
                {item.label}
              </option>
            ))}
          </select>
        </Field>
        <Field label="Model" htmlFor="llm-model" hint={chosen?.example_models.length ? `e.g. ${chosen.example_models.slice(0, 3).join(', ')}` : undefined}>
          {/* a list to pick from (the provider's known models), still free text for any other model name */}
          <Input id="llm-model" name="model" required defaultValue={current.model ?? ''} list="llm-model-options" autoComplete="off" />
          <datalist id="llm-model-options" data-testid="llm-model-options">
            {modelOptions.map((model) => (
              <option key={model} value={model} />
            ))}
          </datalist>
        </Field>
        {chosen?.needs_base_url || current.base_url ? (
          <Field label="Base URL" htmlFor="llm-base-url">
            <Input id="llm-base-url" name="base_url" type="url" defaultValue={current.base_url ?? ''} placeholder="http://127.0.0.1:11434/v1" />
          </Field>
        ) : null}
        {/* a server the admin points at (OpenAI-compatible) may or may not want a key: offer it, as optional */}
        {!chosen || chosen.needs_api_key || chosen.needs_base_url ? (
          <Field
            label="API key"
            htmlFor="llm-key"
            hint={`${chosen && !chosen.needs_api_key ? 'Optional. ' : ''}${current.api_key.set ? `Stored (…${current.api_key.last4 ?? ''}); leave empty to keep it.` : 'Stored encrypted; never shown again.'}`}
          >
            <Input id="llm-key" name="api_key" type="password" autoComplete="off" />
          </Field>
        ) : null}
        <div className="flex items-center gap-2 md:col-span-2">
          <Button type="submit" value="test" disabled={test.isPending || !provider}>
            {test.isPending ? 'Testing…' : 'Test'}
          </Button>
          <Button type="submit" value="save" variant="primary" disabled={save.isPending || !provider}>
            Save
          </Button>
          {test.data ? (
            <span role="status" className={`text-sm ${test.data.ok ? 'text-ok' : 'text-danger'}`}>
              {test.data.ok ? `Works: ${test.data.model ?? ''} answered in ${test.data.latency_ms ?? '?'} ms.` : `Failed: ${test.data.error ?? 'unknown error'}`}
            </span>
          ) : null}
          {save.isSuccess ? <span role="status" className="text-sm text-ok">Saved; new runs use it.</span> : null}
        </div>
        {test.isError ? <div className="md:col-span-2"><ErrorNote>{test.error.message}</ErrorNote></div> : null}
        {save.isError ? <div className="md:col-span-2"><ErrorNote>{save.error.message}</ErrorNote></div> : null}
      </form>
    </section>
  );
}
