import type { Folder, Job } from '../model/jenkins-state.ts';
import { escapeHtml as escapeXml } from '../http/responses.ts';

/** A config.xml like Jenkins stores it; the only place a Pipeline job's SCM is visible (its JSON API has no `scm`). */
export function jobConfigXml(node: Job | Folder): string {
  if (node.kind === 'folder') {
    return `<?xml version='1.1' encoding='UTF-8'?>\n<com.cloudbees.hudson.plugins.folder.Folder plugin="cloudbees-folder@6.951.v5f91d88d76b_b_">\n  <description>${escapeXml(node.description)}</description>\n</com.cloudbees.hudson.plugins.folder.Folder>\n`;
  }
  const spec = node.spec;
  const parameters =
    spec.parameters.length === 0
      ? '  <properties/>\n'
      : `  <properties>\n    <hudson.model.ParametersDefinitionProperty>\n      <parameterDefinitions>\n${spec.parameters
          .map((parameter) => {
            const tag = { string: 'StringParameterDefinition', text: 'TextParameterDefinition', boolean: 'BooleanParameterDefinition', choice: 'ChoiceParameterDefinition', password: 'PasswordParameterDefinition' }[parameter.type];
            const choices =
              parameter.type === 'choice' ? `\n          <choices class="java.util.Arrays$ArrayList"><a class="string-array">${(parameter.choices ?? []).map((choice) => `<string>${escapeXml(choice)}</string>`).join('')}</a></choices>` : '';
            const defaultValue = parameter.default === undefined || parameter.type === 'password' ? '' : `\n          <defaultValue>${escapeXml(String(parameter.default))}</defaultValue>`;
            return `        <hudson.model.${tag}>\n          <name>${escapeXml(parameter.name)}</name>\n          <description>${escapeXml(parameter.description)}</description>${defaultValue}${choices}\n        </hudson.model.${tag}>`;
          })
          .join('\n')}\n      </parameterDefinitions>\n    </hudson.model.ParametersDefinitionProperty>\n  </properties>\n`;
  const gitScm = spec.scm
    ? `<scm class="hudson.plugins.git.GitSCM" plugin="git@5.7.0">\n      <configVersion>2</configVersion>\n      <userRemoteConfigs>\n        <hudson.plugins.git.UserRemoteConfig>\n          <url>${escapeXml(spec.scm.url)}</url>${spec.scm.credentialsId ? `\n          <credentialsId>${escapeXml(spec.scm.credentialsId)}</credentialsId>` : ''}\n        </hudson.plugins.git.UserRemoteConfig>\n      </userRemoteConfigs>\n      <branches>\n        <hudson.plugins.git.BranchSpec>\n          <name>*/${escapeXml(spec.scm.branch)}</name>\n        </hudson.plugins.git.BranchSpec>\n      </branches>\n    </scm>`
    : '<scm class="hudson.scm.NullSCM"/>';
  const disabled = `  <disabled>${spec.disabled}</disabled>\n`;
  if (node.kind === 'pipeline') {
    const definition = spec.scm
      ? `  <definition class="org.jenkinsci.plugins.workflow.cps.CpsScmFlowDefinition" plugin="workflow-cps@4014.vcd7dc51d8b_30">\n    ${gitScm}\n    <scriptPath>${escapeXml(spec.scm.scriptPath)}</scriptPath>\n    <lightweight>true</lightweight>\n  </definition>\n`
      : `  <definition class="org.jenkinsci.plugins.workflow.cps.CpsFlowDefinition" plugin="workflow-cps@4014.vcd7dc51d8b_30">\n    <script>pipeline { agent any; stages { stage('Build') { steps { sh 'make build' } } } }</script>\n    <sandbox>true</sandbox>\n  </definition>\n`;
    return `<?xml version='1.1' encoding='UTF-8'?>\n<flow-definition plugin="workflow-job@1505.vea_4b_20a_4a_495">\n  <description>${escapeXml(spec.description)}</description>\n  <keepDependencies>false</keepDependencies>\n${parameters}${definition}${disabled}</flow-definition>\n`;
  }
  return `<?xml version='1.1' encoding='UTF-8'?>\n<project>\n  <description>${escapeXml(spec.description)}</description>\n  <keepDependencies>false</keepDependencies>\n${parameters}  ${gitScm.replace(/\n {4}/g, '\n  ')}\n  <canRoam>true</canRoam>\n${disabled}  <builders>\n    <hudson.tasks.Shell>\n      <command>make build</command>\n    </hudson.tasks.Shell>\n  </builders>\n</project>\n`;
}
