/** The SkyfloApproval object's name for a call: written once in @skyflo/protocol/approval-hashes (the executor checks it). */
export { approvalObjectName } from '@skyflo/protocol/approval-hashes';
