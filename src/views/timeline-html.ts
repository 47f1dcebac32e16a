/**
 * The run report: one self-contained HTML file (styles, script, data and graph inline; nothing
 * fetched), readable offline and attachable to a ticket. The data is one JSON island the page
 * script (./_timeline_client.ts) draws from.
 */
import { formatDuration } from '../util/duration.js';
import type { Parameters, Status } from '../runlog/types.js';
import { maskSecrets } from '../util/mask.js';
import { escapeXml, scriptJson } from './_html.js';
import { TIMELINE_CLIENT } from './_timeline_client.js';
import type { ReportInput } from './timeline-collect.js';
import { shortValue, stepDetails, timelineModel } from './timeline-model.js';

const CODE: Record<Status, string> = { SUCCESS: 'S', FAIL: 'F', PROCESSING: 'P', CREATED: 'C' };

export function timelineHtml(input: ReportInput, now = Date.now()): string {
  const { log } = input;
  const model = timelineModel(log, now);
  // compact for 10,000-step runs: times as ms from t0, empty lists left out, internal names
  // rebuilt by the page from the tree, log paths from the internal name and attempt
  const details: Record<string, unknown>[] = [];
  const rows = model.rows.map((r) => {
    let detail = -1;
    if (r.step) {
      detail = details.length;
      const d = stepDetails(r.step);
      details.push(
        compact({
          ...d,
          attempts: d.attempts.map((a) => {
            const tail = input.logTails.get(`${r.internalName}.attempt-${a.n}`);
            const { start, end, ...rest } = a;
            return compact({ ...rest, t: [ms(start, model.t0), ms(end, model.t0)], ...(tail !== undefined ? { log: tail } : {}) });
          }),
        }),
      );
    }
    const segs = r.segments.length > 1 || r.type === 'task' ? r.segments.map(([a, b, s]) => [a, b, CODE[s]]) : 0;
    return [r.parent, r.depth, r.kind === 'branch' ? 1 : 0, r.name, r.type, CODE[r.status], r.start, r.end, r.critical ? 1 : 0, detail, segs];
  });
  const status = input.interrupted ? 'INTERRUPTED' : log.status;
  const params = (p: Parameters, metric: boolean) => Object.entries(p).filter(([, v]) => (v.kind === 'metric') === metric);
  const metricNames = [...new Set(input.history.flatMap((h) => Object.entries(h.metrics).filter(([, v]) => typeof v === 'number').map(([k]) => k)))];
  const data = mask(
    {
      run: { run_id: log.run_id, status, tag: log.tag, dag_hash: log.dag_hash, location: input.location, generated_at: new Date(now).toISOString() },
      t0: model.t0,
      span: model.span,
      rows,
      details,
      history: input.history.map((h) => ({ run_id: h.run_id, status: h.status, started_at: h.started_at, metrics: h.metrics })),
    },
    input.secrets,
  );
  const counts = countSteps(model.rows);
  const m = (s: string) => maskSecrets(s, input.secrets);
  const started = model.t0 ? new Date(model.t0).toISOString() : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${escapeXml(`run ${log.run_id} ${status}`)}</title>
<style>${CSS}</style></head>
<body>
<header>
  <h1>run <span class="mono">${escapeXml(log.run_id)}</span> <span class="badge ${statusClass(status)}" id="run-status">${status}</span></h1>
  <div class="facts">
    <span>started ${escapeXml(started)}</span><span>duration ${escapeXml(formatDuration(model.span))}${log.status === 'PROCESSING' && !input.interrupted ? ' (still running)' : ''}</span>
    <span>${counts}</span>${log.tag ? `<span>tag ${escapeXml(log.tag)}</span>` : ''}
    <span>run log <span class="mono">${escapeXml(input.location)}</span></span>
    <span>pipeline <span class="mono">${escapeXml(String(log.run_config.pipeline ?? ''))}</span></span>
  </div>
  ${input.interrupted ? `<p class="warn">interrupted: its runner is gone; <code>runnable retry ${escapeXml(log.run_id)}</code> continues it</p>` : ''}
</header>
<section class="summary">
  ${kv('parameters', params(log.parameters, false).map(([k, v]) => [k, m(shortValue(v.value, v.kind, 200))]))}
  ${kv('metrics', params(log.parameters, true).map(([k, v]) => [k, m(shortValue(v.value, v.kind, 200))]))}
  ${metricNames.length ? `<div class="box"><h3>metric across runs <select id="metric-select">${metricNames.map((n) => `<option>${escapeXml(n)}</option>`).join('')}</select></h3><div id="metric-chart"></div></div>` : ''}
</section>
<section class="toolbar">
  <input id="f-query" type="search" placeholder="find a step">
  <label><input id="f-failures" type="checkbox"> failures only</label>
  <label><input id="f-critical" type="checkbox"> critical path only</label>
  <button id="expand-all">expand all</button><button id="collapse-all">collapse all</button>
  <span class="legend"><span class="dot ok"></span>success <span class="dot fail"></span>fail <span class="dot running"></span>running <span class="crit-key"></span>critical path</span>
  ${input.logsOmitted ? `<span class="small">${input.logsOmitted} log(s) not embedded (their paths are in the step panels)</span>` : ''}
</section>
<div id="gantt"><div id="gantt-axis"></div><div id="gantt-body"><div id="gantt-spacer"></div></div></div>
<aside id="panel"></aside>
${input.graphSvg ? `<section class="graph-box"><h3>pipeline</h3><div id="graph">${input.graphSvg}</div></section>` : ''}
<script type="application/json" id="data">${scriptJson(data)}</script>
<script>${TIMELINE_CLIENT}</script>
</body></html>
`;
}

const ms = (iso: string, t0: number): number => (iso ? Date.parse(iso) - t0 : -1);

/** The object without its empty arrays and strings. */
function compact<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => !(v === '' || (Array.isArray(v) && !v.length)))) as Partial<T>;
}

function kv(title: string, entries: [string, string][]): string {
  if (!entries.length) return '';
  return `<div class="box"><h3>${title}</h3><table>${entries.map(([k, v]) => `<tr><th>${escapeXml(k)}</th><td class="mono">${escapeXml(v)}</td></tr>`).join('')}</table></div>`;
}

function countSteps(rows: ReturnType<typeof timelineModel>['rows']): string {
  const c: Record<string, number> = {};
  let total = 0;
  for (const r of rows) if (r.kind === 'step' && r.type !== 'success' && r.type !== 'fail') (total++, (c[r.status] = (c[r.status] ?? 0) + 1));
  const parts = [`${total} steps`];
  if (c.SUCCESS) parts.push(`${c.SUCCESS} ok`);
  if (c.FAIL) parts.push(`${c.FAIL} failed`);
  if (c.PROCESSING) parts.push(`${c.PROCESSING} running`);
  return parts.join(' · ');
}

function statusClass(s: string): string {
  return s === 'SUCCESS' ? 'ok' : s === 'FAIL' ? 'fail' : s === 'PROCESSING' ? 'running' : 'created';
}


/** Every string in the data with the secret values replaced. */
function mask<T>(value: T, secrets: string[]): T {
  if (!secrets.length) return value;
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') return maskSecrets(v, secrets);
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
    return v;
  };
  return walk(value) as T;
}

const CSS = `
*{box-sizing:border-box}body{margin:0;font:13px/1.4 -apple-system,Segoe UI,Helvetica,Arial,sans-serif;color:#0f172a;background:#fff}
header{padding:12px 16px;border-bottom:1px solid #e2e8f0}h1{font-size:17px;margin:0 0 6px}h3{font-size:13px;margin:0 0 6px}h4{font-size:12px;margin:10px 0 4px;color:#334155}
.facts span{margin-right:16px;color:#475569}.mono{font-family:ui-monospace,Menlo,Consolas,monospace}.small{font-size:11px;color:#64748b}
.badge{padding:1px 8px;border-radius:10px;font-size:12px;color:#fff;background:#64748b}.badge.ok{background:#16a34a}.badge.fail{background:#dc2626}.badge.running{background:#2563eb}
.warn{color:#b45309;margin:6px 0 0}.summary{display:flex;gap:16px;flex-wrap:wrap;padding:8px 16px}.box{border:1px solid #e2e8f0;border-radius:6px;padding:8px;max-width:520px;overflow:auto}
table{border-collapse:collapse;font-size:12px}th,td{text-align:left;padding:2px 8px 2px 0;vertical-align:top}td{word-break:break-all}
.toolbar{padding:6px 16px;display:flex;gap:12px;align-items:center;flex-wrap:wrap;border-top:1px solid #e2e8f0;border-bottom:1px solid #e2e8f0;background:#f8fafc}
.legend{color:#475569}.crit-key{display:inline-block;width:18px;height:8px;border:2px solid #f59e0b;margin:0 4px 0 8px;vertical-align:middle}
#gantt{position:relative}#gantt-axis{position:relative;height:20px;border-bottom:1px solid #e2e8f0;font-size:10px;color:#64748b}.tick{position:absolute;top:4px;border-left:1px solid #cbd5e1;padding-left:2px}
#gantt-body{height:62vh;overflow:auto;position:relative}#gantt-spacer{position:relative}
.row{position:absolute;left:0;right:0;height:22px;display:flex;align-items:center;cursor:pointer;border-bottom:1px solid #f1f5f9}.row:hover{background:#f8fafc}.row.selected{background:#e0f2fe}
.name{white-space:nowrap;overflow:hidden;text-overflow:ellipsis;flex:none}.row.branch .label{color:#475569;font-style:italic}
.toggle{display:inline-block;width:14px;color:#475569}.dot{display:inline-block;width:8px;height:8px;border-radius:50%;margin-right:6px;background:#9ca3af}
.dot.ok{background:#16a34a}.dot.fail{background:#dc2626}.dot.running{background:#2563eb}
.lane{position:relative;height:14px;flex:none}.bar{position:absolute;top:0;height:14px;border-radius:3px;background:#9ca3af}.bar.group{opacity:.45}
.bar.ok{background:#22c55e}.bar.fail{background:#ef4444}.bar.running{background:#3b82f6}.bar.open{background-image:repeating-linear-gradient(45deg,transparent 0 4px,rgba(255,255,255,.5) 4px 8px)}
.row.critical .bar{outline:2px solid #f59e0b}.dur{width:80px;text-align:right;color:#475569;font-size:11px;padding-right:8px;flex:none}
#panel{position:fixed;top:0;right:0;width:min(560px,95vw);height:100vh;overflow:auto;background:#fff;border-left:1px solid #cbd5e1;box-shadow:-4px 0 12px rgba(0,0,0,.08);padding:12px 16px;display:none}
#panel.open{display:block}.close{float:right;font-size:18px;border:0;background:none;cursor:pointer}.internal{font-family:ui-monospace,monospace;font-size:11px;color:#64748b;margin:4px 0}
.attempt{border-top:1px solid #e2e8f0;margin-top:8px}pre{white-space:pre-wrap;word-break:break-all;background:#f8fafc;padding:6px;border-radius:4px;font-size:11px;max-height:300px;overflow:auto}pre.msg{background:#fef2f2}
.cache{color:#7c3aed}.graph-box{padding:8px 16px;overflow:auto}.graph-box svg .node{cursor:pointer}.chart .pt{fill:#2563eb}.chart .pt.current{fill:#f59e0b}.chart text{font-size:10px;fill:#64748b}
`;
