export { startJenkinsSim, type JenkinsSim, type JenkinsSimCall, type JenkinsSimOptions } from './start-jenkins-sim.ts';
export { loadJenkinsScenario, JenkinsScenarioError } from './scenario/load-scenario.ts';
export type { JenkinsScenario, ParsedScenario } from './scenario/scenario-schema.ts';
