/** The eval harness as a library (tests and other runners). */
export { loadTask, loadTasks, defaultTasksDir, TaskError } from './load-tasks.ts';
export { taskSchema, type Task, type TaskSpec, type Step } from './task-schema.ts';
export { runEval, type EvalOptions, type EvalRun } from './run-eval.ts';
export { runAttempt, SIM_MODEL, fastKubeSimSettings, type AttemptOptions, type AttemptResult } from './run-attempt.ts';
export { judgeTranscript, type TranscriptMetrics } from './check-transcript.ts';
export { markdownReport } from './report.ts';
export { passAtK, summarize } from './task-summary.ts';
export { costOf, parsePrice, priceOf } from './prices.ts';
export { categoryScores, scorecardMarkdown, scorecardHtml, median, type CategoryScore } from './scorecard.ts';
export { compareWithBaseline, readResults, BaselineError, type Regression } from './baseline.ts';
export { taskCategories, type TaskCategory } from './task-schema.ts';
