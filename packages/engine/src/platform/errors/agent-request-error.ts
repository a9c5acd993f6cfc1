import { SkyfloError } from './skyflo-error.ts';
/** A refused agent request: the route answers `statusCode` with `{detail}` (a message that says what to do). */
export class AgentRequestError extends SkyfloError {
  readonly statusCode: number;
  readonly code: string;
  constructor(statusCode: number, code: string, detail: string) {
    super(detail);
    this.name = 'AgentRequestError';
    this.statusCode = statusCode;
    this.code = code;
  }
}
