export { startPagerDutySim, pagerDutySignature, type PagerDutySim, type PagerDutySimOptions, type PagerDutyNote, type IncidentInput, type SendResult } from './start-pagerduty-sim.ts';
