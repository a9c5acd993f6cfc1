/**
 * How a declared row names its declaration (`managed_by`), and what the API answers when someone tries to change
 * such a row: the declaration is the truth and the next sync would undo the edit, so the answer says where to
 * change it instead. Said once for the engine's schedules, policies and freezes.
 */
export const clusterKey = (kind: string, namespace: string, name: string) => `${kind} ${namespace}/${name}`;
export const fileKey = (relative: string, kind: string, name: string) => `file ${relative} (${kind} ${name})`;

/** "declared in the cluster as SkyfloPolicy skyflo/x: … (kubectl edit skyflopolicy x -n skyflo)" / "declared in file …" */
export function managedRefusal(what: string, managedBy: string): string {
  const file = /^file (.+) \((\w+) (.+)\)$/.exec(managedBy);
  if (file) return `${what} is declared in file ${file[1]} of POLICIES_DIR (${file[2]} ${file[3]}): change or remove it in that file instead (in its git repository, if the folder is a checkout); the engine reads the folder again on its next sync.`;
  const object = /^(\w+) ([^/]+)\/(.+)$/.exec(managedBy);
  if (object) return `${what} is declared in the cluster as ${managedBy}: change or delete that object instead (kubectl edit ${object[1]!.toLowerCase()} ${object[3]} -n ${object[2]}).`;
  return `${what} is declared outside the API (${managedBy}): change it there instead.`;
}
