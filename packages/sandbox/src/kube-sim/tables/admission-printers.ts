/** `kubectl get` columns of the admissionregistration.k8s.io kinds, as kube-apiserver's printers give them. */
import { age, columns, type TablePrinter } from './table-printers.ts';

export const admissionPrinters: Record<string, TablePrinter> = {
  'admissionregistration.k8s.io/validatingwebhookconfigurations': {
    columns: columns('Name', ['Webhooks', 0, 'integer'], 'Age'),
    cells: (configuration, now) => [configuration.metadata.name, (configuration.webhooks ?? []).length, age(configuration, now)],
  },
  'admissionregistration.k8s.io/validatingadmissionpolicies': {
    columns: columns('Name', ['Validations', 0, 'integer'], 'ParamKind', 'Age'),
    cells(policy, now) {
      const paramKind = policy.spec?.paramKind;
      return [policy.metadata.name, (policy.spec?.validations ?? []).length, paramKind ? `${paramKind.apiVersion}/${paramKind.kind}` : '<unset>', age(policy, now)];
    },
  },
  'admissionregistration.k8s.io/validatingadmissionpolicybindings': {
    columns: columns('Name', 'PolicyName', 'ParamRef', 'Age'),
    cells(binding, now) {
      const paramRef = binding.spec?.paramRef;
      const param = paramRef ? (paramRef.namespace ? `${paramRef.namespace}/${paramRef.name ?? ''}` : (paramRef.name ?? '')) : '<unset>';
      return [binding.metadata.name, binding.spec?.policyName ?? '', param, age(binding, now)];
    },
  },
};
