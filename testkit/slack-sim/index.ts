export { startSlackSim, slackSignature, type SlackSim, type SlackSimCall, type SlackSimMessage, type SlackSimOptions, type ClickInput, type ClickResult } from './start-slack-sim.ts';
