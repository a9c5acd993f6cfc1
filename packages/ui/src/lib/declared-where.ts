/**
 * Where a policy or freeze made outside the Command Center is declared (its `managed_by`), in the words Settings
 * shows beside it: such a row is changed there, so Settings offers no edit or delete for it (the API refuses them).
 */
export function declaredWhere(managedBy: string): string {
  const file = /^file (.+) \(\w+ .+\)$/.exec(managedBy);
  return file ? `declared in file ${file[1]} (POLICIES_DIR)` : `declared in the cluster as ${managedBy}`;
}
