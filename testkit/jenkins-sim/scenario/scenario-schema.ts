import { z } from 'zod';

const resultSchema = z.enum(['SUCCESS', 'FAILURE', 'UNSTABLE', 'ABORTED']);

const changeSchema = z.strictObject({
  commitId: z.string().min(1),
  msg: z.string(),
  author: z.string().default('Jane Developer').describe('Full name of the commit author.'),
  authorEmail: z.string().optional(),
  /** Milliseconds since the epoch; defaults to the build time. */
  timestamp: z.number().optional(),
  affectedPaths: z.array(z.string()).default([]),
});

const parameterSchema = z
  .strictObject({
    name: z.string().min(1),
    type: z.enum(['string', 'text', 'boolean', 'choice', 'password']).default('string'),
    description: z.string().default(''),
    default: z.union([z.string(), z.boolean()]).optional(),
    choices: z.array(z.string()).optional(),
  })
  .superRefine((parameter, context) => {
    if (parameter.type === 'choice' && !parameter.choices?.length) {
      context.addIssue({ code: 'custom', path: ['choices'], message: 'a choice parameter needs a non-empty choices list' });
    }
  });

const scmSchema = z.strictObject({
  type: z.literal('git').default('git'),
  url: z.string().min(1),
  branch: z.string().default('main'),
  credentialsId: z.string().optional(),
  /** Pipeline jobs only: the Jenkinsfile path in the repository. */
  scriptPath: z.string().default('Jenkinsfile'),
});

/** A past build that exists when the sim starts. */
const seededBuildSchema = z.strictObject({
  number: z.number().int().min(1).optional(),
  result: resultSchema.default('SUCCESS'),
  /** Leave a seeded build running (no result) until stopped, e.g. to test stop on an existing build. */
  building: z.boolean().default(false),
  durationMs: z.number().min(0).default(60_000),
  timestamp: z.number().optional(),
  displayName: z.string().optional(),
  description: z.string().optional(),
  parameters: z.record(z.string(), z.union([z.string(), z.boolean()])).default({}),
  startedBy: z.string().optional().describe('User id in the cause; defaults to the first user.'),
  log: z.string().optional().describe('Console text; a default log is generated when omitted.'),
  changeSet: z.array(changeSchema).default([]),
  revision: z.string().optional().describe('Git SHA1 the build checked out.'),
});

const baseJob = {
  name: z.string().min(1).regex(/^[^/]+$/, 'job names cannot contain "/"'),
  displayName: z.string().optional(),
  description: z.string().default(''),
};

const buildableJob = {
  ...baseJob,
  disabled: z.boolean().default(false),
  parameters: z.array(parameterSchema).default([]),
  scm: scmSchema.optional(),
  /** How long each new build runs; falls back to the sim's buildDurationMs option. */
  buildDurationMs: z.number().min(0).optional(),
  /** Results of new builds in order; the last one repeats. */
  results: z.array(resultSchema).default(['SUCCESS']),
  /** Lines a new build prints, spread over its duration; `${PARAM}` is replaced by the build's parameter values. */
  logLines: z.array(z.string()).optional(),
  /** Commits attached to each new build, in order; the last one repeats. Empty = no changes. */
  changeSets: z.array(z.array(changeSchema)).default([]),
  builds: z.array(seededBuildSchema).default([]),
};

const pipelineSchema = z.strictObject({ type: z.literal('pipeline'), ...buildableJob });
const freestyleSchema = z.strictObject({ type: z.literal('freestyle'), ...buildableJob });

export type FolderSpec = { type: 'folder'; name: string; displayName?: string; description: string; jobs: JobSpec[] };
export type BuildableJobSpec = z.output<typeof pipelineSchema> | z.output<typeof freestyleSchema>;
export type JobSpec = FolderSpec | BuildableJobSpec;

const folderSchema: z.ZodType<FolderSpec> = z.lazy(() =>
  z.strictObject({ type: z.literal('folder'), ...baseJob, jobs: z.array(jobSchema).default([]) }),
) as unknown as z.ZodType<FolderSpec>;

export const jobSchema: z.ZodType<JobSpec> = z.lazy(() =>
  z.discriminatedUnion('type', [pipelineSchema, freestyleSchema, folderSchema as never]),
) as unknown as z.ZodType<JobSpec>;

const userSchema = z.strictObject({
  id: z.string().min(1),
  fullName: z.string().optional(),
  /** API token accepted as the basic-auth password. */
  token: z.string().min(1),
  description: z.string().optional(),
});

export const jenkinsScenarioSchema = z.strictObject({
  users: z.array(userSchema).default([]),
  jobs: z.array(z.unknown()).default([]).pipe(z.array(jobSchema)),
  /** Jenkins version reported in the X-Jenkins header. */
  version: z.string().default('2.479.3'),
});

/** A scenario as written in YAML/JSON or passed in code. */
export type JenkinsScenario = {
  users?: Array<z.input<typeof userSchema>>;
  jobs?: Array<Record<string, unknown>>;
  version?: string;
};
export type ParsedScenario = { users: Array<z.output<typeof userSchema>>; jobs: JobSpec[]; version: string };
export type SeededBuildSpec = z.output<typeof seededBuildSchema>;
export type ParameterSpec = z.output<typeof parameterSchema>;
export type ChangeSpec = z.output<typeof changeSchema>;
export type JobResult = z.output<typeof resultSchema>;
