/**
 * The audit page's chain verify, streamed (issue 79): a verify of a large trail takes minutes, so the page shows how
 * far it got (each progress line of GET /audit/verify) and keeps the last checkpoint; when the connection breaks, the
 * verify goes on from there (`resume`) instead of starting over.
 */
import type { AuditVerifyResponse, AuditVerifyStreamLine } from '@skyflo/protocol';
import { useRef, useState } from 'react';
import { skyflo } from '../../lib/api.ts';

export interface ChainVerifyState {
  running: boolean;
  /** records checked so far, the last one's sequence, and the chain's head when the verify started */
  progress?: { checked: number; sequence: number; head: number | null };
  report?: AuditVerifyResponse;
  error?: string;
  /** where a broken verify can go on from */
  checkpoint?: string;
}

export function useChainVerify(): ChainVerifyState & { start(): void; resume(): void } {
  const [state, setState] = useState<ChainVerifyState>({ running: false });
  const checkpoint = useRef<string | undefined>(undefined);
  const run = (resume: string | undefined) => {
    setState((current) => ({ running: true, ...(resume && current.progress ? { progress: current.progress } : {}) }));
    const onLine = (line: AuditVerifyStreamLine) => {
      if (line.type === 'progress') {
        checkpoint.current = line.checkpoint;
        setState({ running: true, progress: { checked: line.records_checked, sequence: line.sequence, head: line.head_sequence }, checkpoint: line.checkpoint });
      } else if (line.type === 'report') {
        const { type: _type, ...report } = line;
        checkpoint.current = undefined;
        setState({ running: false, report });
      } else setState((current) => ({ ...current, running: false, error: line.detail }));
    };
    skyflo.verifyAuditStreaming({ ...(resume ? { resume } : {}), progressEvery: 10_000, onLine }).then(
      () => setState((current) => (current.running ? { ...current, running: false, error: 'the verify ended before its report (resume it)' } : current)),
      (error: unknown) => setState((current) => ({ ...current, running: false, error: error instanceof Error ? error.message : String(error) })),
    );
  };
  return { ...state, start: () => run(undefined), resume: () => run(checkpoint.current) };
}
