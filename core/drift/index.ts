// Drift: where git (the specs), the task store and Entra disagree, computed once (computeDrift) and
// rendered for a terminal, for machines (JSON), for a pull-request comment and as an HTML page.
export { computeDrift, DEFAULT_STALE_AFTER_DAYS, type DriftOptions } from "./computeDrift.js";
export { formatShare } from "./coverage.js";
export { CHART_COLOURS } from "./coverageChart.js";
export { DEFAULT_HTML_FINDINGS, renderDriftHtml } from "./formatHtml.js";
export { DEFAULT_MARKDOWN_BUDGET, formatDriftMarkdown } from "./formatMarkdown.js";
export { formatDriftTable, formatDriftVerdict } from "./formatText.js";
export type * from "./model.js";
export { FINDING_KINDS, INDIVIDUAL, SEVERITIES, UNASSIGNED } from "./model.js";
export { type DriftState, readDriftState } from "./readDriftState.js";
export { taskTimings } from "./taskTimings.js";
