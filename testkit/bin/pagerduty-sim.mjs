#!/usr/bin/env node
// Runs the TypeScript CLI through tsx's loader so the simulators need no build step.
import { register } from 'tsx/esm/api';
register();
await import('../pagerduty-sim/cli.ts');
