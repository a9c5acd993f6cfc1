/**
 * The SkyfloAI spec as the operator reads it: the same defaults and bounds as the CRD's OpenAPI schema
 * (deploy/helm/skyflo/crds/skyfloais.skyflo.ai.yaml), applied again here so an object stored by an API server that
 * did not default it (or an older CRD) still reconciles to the same thing. Cross-field rules that a structural
 * schema cannot express on every cluster are checked by `specProblems`.
 */
import { roleMembersSchema } from '@skyflo/protocol';
import { z } from 'zod';
import { alertsSpecSchema, authSpecProblems, authSpecSchema, mcpOAuthSpecSchema } from './auth-spec.ts';

// Objects use .prefault({}): in zod 4 a .default() value is returned as is, so the inner defaults would not apply.

export const defaultImage = 'ghcr.io/skyflo-ai/skyflo:0.1.0';

const secretKeyRef = (defaultKey: string) =>
  z.object({
    /** Secret in the SkyfloAI's namespace */
    name: z.string().min(1),
    key: z.string().min(1).default(defaultKey),
  });

const quantityMap = z.record(z.string(), z.union([z.string(), z.number()]));

const component = <Extra extends z.ZodRawShape = {}>(defaults: { replicas: number; cpu: string; memory: string; memoryLimit: string }, extra?: Extra) =>
  z
    .object({
      image: z.string().min(1).default(defaultImage),
      imagePullPolicy: z.enum(['Always', 'IfNotPresent', 'Never']).default('IfNotPresent'),
      replicas: z.number().int().min(1).max(20).default(defaults.replicas),
      resources: z
        .object({ requests: quantityMap.optional(), limits: quantityMap.optional() })
        .default({ requests: { cpu: defaults.cpu, memory: defaults.memory }, limits: { memory: defaults.memoryLimit } }),
      env: z.array(z.object({ name: z.string().min(1) }).passthrough()).default([]),
      nodeSelector: z.record(z.string(), z.string()).optional(),
      tolerations: z.array(z.record(z.string(), z.unknown())).optional(),
      affinity: z.record(z.string(), z.unknown()).optional(),
      topologySpreadConstraints: z.array(z.record(z.string(), z.unknown())).optional(),
      priorityClassName: z.string().min(1).optional(),
      /** on the pod template; the operator's own labels (the selector) win over podLabels of the same name */
      podAnnotations: z.record(z.string(), z.string()).default({}),
      podLabels: z.record(z.string(), z.string()).default({}),
      /** e.g. eks.amazonaws.com/role-arn or iam.gke.io/gcp-service-account, for cloud workload identity */
      serviceAccount: z.object({ annotations: z.record(z.string(), z.string()).default({}) }).prefault({}),
    })
    .extend(extra ?? ({} as Extra))
    // every field is optional or defaulted; `never` only because TypeScript cannot see that through the generic Extra
    .prefault({} as never);

export const skyfloAiSpecSchema = z.object({
  engine: component({ replicas: 1, cpu: '100m', memory: '256Mi', memoryLimit: '1Gi' }),
  mcp: component({ replicas: 1, cpu: '50m', memory: '128Mi', memoryLimit: '512Mi' }, { oauth: mcpOAuthSpecSchema }),
  llm: z
    .object({
      /** provider/model, e.g. openai/gpt-4o; unset = the engine starts and says what to configure */
      model: z.string().min(1).optional(),
      /** base URL for openai-compatible servers (Ollama, vLLM, LiteLLM) */
      host: z.string().min(1).optional(),
      /** the provider API key; the operator maps it to the variable the model's provider reads */
      apiKeySecretRef: secretKeyRef('api-key').optional(),
    })
    .prefault({}),
  storage: z
    .object({
      type: z.enum(['embedded', 'postgres']).default('embedded'),
      embedded: z.object({ size: z.string().default('1Gi'), storageClassName: z.string().min(1).optional() }).prefault({}),
      postgres: z.object({ urlSecretRef: secretKeyRef('url') }).optional(),
    })
    .prefault({}),
  redis: z.object({ urlSecretRef: secretKeyRef('url') }).optional(),
  /** Secrets (in the SkyfloAI's namespace) for pulling the image from a private registry, on every pod */
  imagePullSecrets: z.array(z.object({ name: z.string().min(1) })).default([]),
  /** the engine's Service (the MCP server's stays ClusterIP: only the engine may reach it) */
  service: z
    .object({
      type: z.enum(['ClusterIP', 'NodePort', 'LoadBalancer']).default('ClusterIP'),
      annotations: z.record(z.string(), z.string()).default({}),
    })
    .prefault({}),
  ingress: z
    .object({
      enabled: z.boolean().default(false),
      className: z.string().min(1).optional(),
      host: z.string().min(1).optional(),
      tlsSecretName: z.string().min(1).optional(),
      annotations: z.record(z.string(), z.string()).default({}),
    })
    .prefault({}),
  approvalPolicy: z
    .object({
      /** `all-mutations`: every tool that is not read-only waits for a person (the gate fails closed) */
      mode: z.enum(['all-mutations']).default('all-mutations'),
      /** who decides: the requester (`self`), or only users with the approver/admin role (`approver`): the engine's APPROVAL_POLICY */
      deciders: z.enum(['self', 'approver']).default('self'),
      /** destructive calls need someone other than the requester (APPROVAL_FOUR_EYES; needs deciders approver) */
      fourEyes: z.boolean().default(false),
    })
    .prefault({}),
  approvals: z
    .object({
      /**
       * Who enforces an approval (issue 34). `cluster`: the MCP server's ServiceAccount is read-only in every access
       * profile; each approved write runs under a ServiceAccount the executor mints for that one approval, and its
       * admission webhook refuses any other content. `engine`: the MCP server's ServiceAccount holds the profile's
       * write rules and only Skyflo's own gate stands between the model and the cluster (a Warning on the SkyfloAI).
       */
      enforcement: z.enum(['cluster', 'engine']).default('cluster'),
      /**
       * Issue 73: the bearer the API server presents to the executor's webhook, which a cluster administrator gives
       * kube-apiserver in its AdmissionConfiguration's webhook kubeconfig (user `<name>-executor.<namespace>.svc:8443`).
       * Set, the webhook answers only that bearer; unset, it answers anyone and keeps its refusals vague. Set it only
       * once the API server sends it: until then every approved write is refused.
       */
      admissionTokenSecretRef: secretKeyRef('token').optional(),
      /**
       * Issue 76: the labels of the cluster this SkyfloAI runs in, as SkyfloPolicy expressions read them
       * (`cluster.labels.env == "prod"`): the executor judges each mint with them and the ValidatingAdmissionPolicies
       * the operator installs carry them. The cluster's own setting, never the engine's word (give the engine's
       * CLUSTER_LABELS the same labels so its check agrees).
       */
      clusterLabels: z.record(z.string().regex(/^([a-z0-9]([-a-z0-9.]*[a-z0-9])?\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/, 'a label name such as env or skyflo.ai/tier').max(316), z.string().max(63)).default({}),
      /**
       * Issue 76: who holds each role as the executor confirms a `require_role` SkyfloPolicy (emails or Skyflo user
       * ids; an admin counts as an approver). The cluster's own list — the engine's user roles are the engine's word —
       * passed to the executor as SKYFLO_EXECUTOR_ROLE_MEMBERS; unset, such a policy mints nothing in this cluster.
       */
      roleMembers: roleMembersSchema.default({}),
    })
    .prefault({}),
  /** true: the MCP server offers only read-only tools, and its ServiceAccount gets the read-only profile */
  readOnly: z.boolean().default(false),
  rbac: z
    .object({
      /**
       * The MCP server's access profile (what its ServiceAccount may do): `read-only` (the default for a new
       * SkyfloAI), `namespaced` (Roles in `namespaces` only), `cluster-admin-like` (every tool, cluster-wide;
       * `operate` is its older name, kept for objects stored with it), `custom` (bind `clusterRoleName`).
       */
      profile: z.enum(['read-only', 'namespaced', 'cluster-admin-like', 'operate', 'custom']).default('read-only'),
      /** with profile namespaced: the namespaces the MCP server may read and change (one Role in each) */
      namespaces: z.array(z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'a namespace name (lower-case letters, digits and -)').max(63)).default([]),
      /** with profile custom: an existing ClusterRole the MCP server's ServiceAccount is bound to */
      clusterRoleName: z.string().min(1).optional(),
    })
    .prefault({}),
  /** company sign-in (OIDC) and local passwords: spec/auth-spec.ts */
  auth: authSpecSchema,
  /** PagerDuty webhooks and Teams: spec/auth-spec.ts */
  alerts: alertsSpecSchema,
});

export type SkyfloAiSpec = z.infer<typeof skyfloAiSpecSchema>;

export type AccessProfile = 'read-only' | 'namespaced' | 'cluster-admin-like' | 'custom';

/** The profile that applies: readOnly forces read-only; `operate` is cluster-admin-like's older name. */
export function accessProfileOf(spec: SkyfloAiSpec): AccessProfile {
  if (spec.readOnly) return 'read-only';
  return spec.rbac.profile === 'operate' ? 'cluster-admin-like' : spec.rbac.profile;
}

/**
 * What enforces approvals for this spec: `cluster` (the executor and its webhook), `engine` (Skyflo's own gate only),
 * or `none` when the access profile grants no write at all (read-only: there is nothing to approve into the cluster).
 */
export function approvalEnforcementOf(spec: SkyfloAiSpec): 'cluster' | 'engine' | 'none' {
  if (accessProfileOf(spec) === 'read-only') return 'none';
  return spec.approvals.enforcement;
}

export interface SpecProblem {
  /** the field, e.g. spec.storage.type */
  field: string;
  message: string;
}

/** Parses and defaults a stored spec; problems name the field and say what to change. */
export function parseSkyfloAiSpec(raw: unknown): { spec: SkyfloAiSpec; problems: SpecProblem[] } | { spec?: undefined; problems: SpecProblem[] } {
  const parsed = skyfloAiSpecSchema.safeParse(raw ?? {});
  if (!parsed.success) {
    return { problems: parsed.error.issues.map((issue) => ({ field: ['spec', ...issue.path.map(String)].join('.'), message: issue.message })) };
  }
  return { spec: parsed.data, problems: specProblems(parsed.data) };
}

/**
 * Combinations the engine cannot run. Why each rule: embedded PGlite is a directory on one volume that exactly one
 * process may open, so several engine replicas need Postgres; and runs, approvals and SSE streams move between
 * replicas over Redis, so several engine replicas need it too.
 */
export function specProblems(spec: SkyfloAiSpec): SpecProblem[] {
  const problems: SpecProblem[] = [];
  if (spec.engine.replicas > 1 && spec.storage.type === 'embedded') {
    problems.push({ field: 'spec.storage.type', message: `engine.replicas is ${spec.engine.replicas} but storage is embedded (PGlite on one volume, one engine only): set storage.type=postgres with storage.postgres.urlSecretRef, or engine.replicas=1` });
  }
  if (spec.engine.replicas > 1 && !spec.redis) {
    problems.push({ field: 'spec.redis', message: `engine.replicas is ${spec.engine.replicas}: several engines share runs and approvals over Redis; set redis.urlSecretRef to a Secret holding the Redis URL` });
  }
  if (spec.storage.type === 'postgres' && !spec.storage.postgres) {
    problems.push({ field: 'spec.storage.postgres.urlSecretRef', message: 'storage.type is postgres: set storage.postgres.urlSecretRef to a Secret holding the Postgres URL' });
  }
  if (spec.rbac.profile === 'custom' && !spec.rbac.clusterRoleName) {
    problems.push({ field: 'spec.rbac.clusterRoleName', message: 'rbac.profile is custom: name the ClusterRole to bind in rbac.clusterRoleName' });
  }
  if (spec.rbac.profile === 'namespaced' && spec.rbac.namespaces.length === 0) {
    problems.push({ field: 'spec.rbac.namespaces', message: 'rbac.profile is namespaced: list the namespaces the MCP server may use in rbac.namespaces' });
  }
  if (spec.approvalPolicy.fourEyes && spec.approvalPolicy.deciders !== 'approver') {
    problems.push({ field: 'spec.approvalPolicy.fourEyes', message: 'approvalPolicy.fourEyes needs approvalPolicy.deciders=approver (with self, only the requester decides, so nobody could approve a destructive call)' });
  }
  if (spec.ingress.enabled && !spec.ingress.host) {
    problems.push({ field: 'spec.ingress.host', message: 'ingress.enabled is true: set ingress.host' });
  }
  problems.push(...authSpecProblems(spec));
  return problems;
}

/** The environment variable the engine reads the API key of `model`'s provider from (packages/engine/src/platform/config/llm.ts). */
export function apiKeyVariable(model: string | undefined): string {
  const provider = model?.split('/')[0] ?? 'openai';
  const variables: Record<string, string> = {
    openai: 'OPENAI_API_KEY',
    anthropic: 'ANTHROPIC_API_KEY',
    google: 'GOOGLE_GENERATIVE_AI_API_KEY',
    moonshotai: 'MOONSHOT_API_KEY',
    groq: 'GROQ_API_KEY',
    mistral: 'MISTRAL_API_KEY',
    deepseek: 'DEEPSEEK_API_KEY',
    azure: 'AZURE_API_KEY',
    'openai-compatible': 'OPENAI_COMPATIBLE_API_KEY',
  };
  return variables[provider] ?? 'OPENAI_API_KEY';
}
