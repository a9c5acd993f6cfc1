/**
 * Issue 77 item 2: a tool call an MCP client outside Skyflo made, handed to the engine's approval gate by the MCP
 * server it called (`skyflo mcp --confirm=skyflo`). The MCP server proposes the call with
 * `POST /api/v1/agent/external-calls` and reads where it stands with `GET /api/v1/agent/external-calls/:call_id`;
 * the person decides it where every other call is decided (the Command Center's approval page, its queue, Slack,
 * Teams). Both sides import these shapes from here so they cannot drift.
 *
 * Who may call: a signed-in person or an API token with the `chat` scope, acting as its owner. The call is proposed in
 * the owner's name, in a conversation of its own, exactly as if the owner's chat had proposed it: the gate's preview,
 * risk, policies, freezes, passkey requirement and four-eyes apply, and the proposer decides nothing (deciding is
 * `POST /agent/approvals/:call_id`, which an API token reaches only with `approvals:write`).
 */
import { deferred } from './deferred.ts';
import { z } from './zod.ts';

export const externalCallRequestSchema = deferred(() => z.object({
  tool: z.string().min(1, 'tool is required').max(200),
  arguments: z.record(z.string(), z.unknown()),
  /** what the MCP server knows of its caller, shown to the approver; informative only (the engine trusts the credential) */
  client: z
    .object({
      /** the MCP client's clientInfo.name ("vscode", "claude-code"…) */
      name: z.string().max(200).optional(),
      /** who the MCP server authenticated (its OAuth subject, or "client-token") */
      caller: z.string().max(200).optional(),
    })
    .optional(),
}));
export type ExternalCallRequest = z.infer<typeof externalCallRequestSchema>;

/** POST /agent/external-calls/:call_id/cancel: the proposer withdraws a call still awaiting a decision. */
export const externalCallCancelSchema = deferred(() => z.object({ conversation_id: z.uuid() }));

/**
 * Where an external call stands:
 * - `awaiting`: a person must decide it at `approval_url`;
 * - `approved` / `executing`: decided, running now;
 * - `executed`: ran; `result` is what the tool answered (`is_error` when it failed once run);
 * - `failed` / `unknown`: approved, but refused before running (target changed, freeze…) or its outcome was lost;
 * - `denied` (by `decided_by_email`, `reason`), `cancelled`: not run;
 * - `refused`: the gate refused to propose it (unknown tool, bad arguments, a policy or freeze); `result` says why;
 * - `completed`: the tool is read-only and ran at once (no approval is asked for reads).
 */
export const externalCallStatuses = ['awaiting', 'approved', 'executing', 'executed', 'failed', 'unknown', 'denied', 'cancelled', 'refused', 'completed'] as const;
export type ExternalCallStatus = (typeof externalCallStatuses)[number];

export const externalCallStateSchema = deferred(() => z.object({
  conversation_id: z.string(),
  call_id: z.string(),
  tool: z.string(),
  status: z.enum(externalCallStatuses),
  /** the Command Center's approval page of this call (absolute when the engine knows its public address) */
  approval_url: z.string(),
  /** the hash the approval binds (tool and exact arguments, as the engine sealed them) */
  args_hash: z.string().optional(),
  decided_by_email: z.string().optional(),
  reason: z.string().optional(),
  result: z.string().optional(),
  is_error: z.boolean().optional(),
}));
export type ExternalCallState = z.infer<typeof externalCallStateSchema>;
