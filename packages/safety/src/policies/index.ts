/**
 * @skyflo/safety/policies: team policies in CEL (issue 76), pure — compiling and evaluating an expression over the
 * documented input (docs/policies.md), building that input, and combining the policies that match a call to the
 * strictest. The engine's gate judges a proposed call with these; the executor judges again, with the same code, what
 * it is about to mint for (packages/operator/src/executor/policy-check.ts), so both read an expression alike. A
 * separate entry so the MCP server, which imports the risk and redaction rules, never loads the CEL library.
 */
export { checkExpression, evaluateExpression, namesBeyond, toCel, type Evaluation, type ExpressionProblem, type PolicyInputName } from './cel-expression.ts';
export { clusterLabelsOf, policyInput, policyObjectsOf, type PolicyFacts, type PolicyObject } from './policy-input.ts';
export { deniedText, demandsOf, effectText, judge, policyRiskFlags, type EnabledPolicy, type Judgement, type PolicyDemands } from './policy-verdicts.ts';
