// The lecturer page: upload a class CSV, watch the grading progress, read the summary, download the report.
"use strict";

const $ = (id) => document.getElementById(id);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function summaryTable(s, said) {
  const n = Math.max(s.answers, 1), table = el("table", {id: "summary-table"});
  table.append(el("tr", {}, el("th", {}, "status"), el("th", {}, "answers"), el("th", {}, "share")));
  for (const k of ["correct", "incorrect", "unanswered", "unusable", "timeout", "error"]) {
    if (!s[k] && !["correct", "incorrect"].includes(k)) continue;
    table.append(el("tr", {}, el("td", {class: `status ${k}`}, k), el("td", {class: "num"}, s[k]),
                    el("td", {class: "num"}, `${(100 * s[k] / n).toFixed(1)}%`)));
  }
  const out = [el("p", {id: "summary-line"}, `${s.answers} answers graded in ${s.seconds} s ` +
                  `(${s.answers_per_second} answers/s, ${s.workers} workers).`), table];
  if (s.common_diagnoses.length) {
    const list = el("ol", {id: "common-diagnoses"});
    s.common_diagnoses.forEach(([, count], i) => list.append(el("li", {}, said[i], ` (${count})`)));
    out.push(el("h3", {}, "Most common mistakes"), list);
  }
  const per = el("table", {id: "by-param"}, el("tr", {}, el("th", {}, "parameter"), el("th", {}, "correct")));
  for (const [p, v] of Object.entries(s.by_param)) {
    per.append(el("tr", {}, el("td", {}, p), el("td", {class: "num"}, `${v.correct} / ${v.answers}`)));
  }
  out.push(el("h3", {}, "By parameter"), per);
  return out;
}

const COLUMNS = ["id", "param", "answer", "status", "diagnosis"];

function rowsTable(rows, said) {
  // Every column shown: a table when it fits, one labelled block per answer on a narrow screen (CSS).
  const table = el("table", {id: "rows", class: "stack"}, el("tr", {}, ...COLUMNS.map((h) => el("th", {}, h))));
  rows.slice(0, 500).forEach((r, i) => {
    const cells = [el("td", {}, r.id), el("td", {}, r.param), el("td", {class: "answer"}, el("code", {}, r.answer)),
                   el("td", {class: `status ${r.status}`}, r.status),
                   el("td", {class: "why"}, r.diagnosis.length ? said[i] : r.error)];
    cells.forEach((c, k) => c.setAttribute("data-label", COLUMNS[k]));
    table.append(el("tr", {}, ...cells));
  });
  return table;
}

async function grade() {
  const button = $("grade"), progress = $("progress"), label = $("progress-text");
  $("csv-error").textContent = ""; $("report-section").hidden = true; $("answers-section").hidden = true;
  let csv;
  try { csv = await readFile($("csv-file")); } catch (e) { $("csv-error").textContent = e.message; return; }
  button.disabled = true; progress.removeAttribute("value"); label.textContent = "starting…";
  let finished = false;
  try {
    const start = await api("/api/grade/jobs", {spec: Spec.value(), csv, id_column: $("id-column").value,
                                                param_column: $("param-column").value,
                                                answer_column: $("answer-column").value});
    if (!start.ok) { $("csv-error").textContent = start.data.error; return; }
    const id = start.data.id;
    for (let polls = 0; polls < 36000; polls++) {           // at most an hour of polling
      const r = await api(`/api/grade/jobs/${id}`);
      if (!r.ok) { $("csv-error").textContent = r.data.error; return; }
      const job = r.data;
      if (job.total) { progress.max = job.total; progress.value = job.done; }
      label.textContent = job.total ? `${job.done} of ${job.total} answers graded` : "reading the answers…";
      if (job.status === "error") { $("csv-error").textContent = job.error; return; }
      if (job.status === "done") {
        const said = await proseFolded([...job.summary.common_diagnoses.map(([m]) => m),
                                     ...job.rows.slice(0, 500).map((r) => r.diagnosis.join("; "))]);
        $("summary").replaceChildren(...summaryTable(job.summary, said));
        $("rows").replaceWith(rowsTable(job.rows, said.slice(job.summary.common_diagnoses.length)));
        $("download-csv").href = `/api/grade/jobs/${id}/report.csv`;
        $("download-json").href = `/api/grade/jobs/${id}/report.json`;
        $("report-section").hidden = false; $("answers-section").hidden = false;
        label.textContent = `done: ${job.done} of ${job.total} answers graded`;
        finished = true;
        reveal($("summary"));
        return;
      }
      await sleep(polls < 20 ? 100 : 400);
    }
  } finally {
    button.disabled = false;
    if (!finished) { progress.value = 0; label.textContent = $("csv-error").textContent ? "stopped" : ""; }
  }
}

document.addEventListener("DOMContentLoaded", () => {
  $("grade").addEventListener("click", grade);
  Spec.init();
});
