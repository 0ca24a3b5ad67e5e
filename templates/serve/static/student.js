// The student page: check an answer (live preview of how it was read), a whole derivation, read the notes.
"use strict";

const $ = (id) => document.getElementById(id);
const symbolMathml = {};        // spec name of a symbol -> MathML in the spec's notation

function debounce(fn, ms) {
  let timer = null;
  return (...args) => { clearTimeout(timer); timer = setTimeout(() => fn(...args), ms); };
}

function isTensor() { return Boolean(Spec.info && Spec.info.kind === "tensor"); }

function showKind(info) {
  // A tensor program: answers are gradient tensors' formulas, and a whole backward pass replaces the derivation.
  const tensor = info.kind === "tensor";
  for (const node of document.querySelectorAll(".for-network")) node.hidden = tensor;
  for (const node of document.querySelectorAll(".for-tensor")) node.hidden = !tensor;
  $("derivation-section").hidden = tensor;
  $("backward-section").hidden = !tensor;
  $("param-label").textContent = tensor ? "tensor" : "parameter";
  $("answer").placeholder = tensor ? "h.T @ dlogits" : hint(info).plain;
}

function hint(info) {
  // The answer hint in this spec's own names: its loss, a delta and an input (syntax, not an answer).
  const names = Object.keys(info.symbols || {}), params = new Set(info.params);
  const delta = names.filter((n) => n.startsWith("delta_")).pop();
  const leaf = names.find((n) => !params.has(n) && !n.startsWith("delta_"));
  if (!delta || !leaf) return {plain: info.params[0] || "", latex: ""};
  return {plain: `${delta}*${leaf}`, latex: `${info.symbols[delta]} ${info.symbols[leaf]}`, loss: info.loss};
}

async function onSpec(info) {
  showKind(info);
  if (info.kind !== "tensor") {
    const h = hint(info);
    $("hint-plain").textContent = h.plain; $("hint-latex").textContent = h.latex;
    $("hint-loss").textContent = h.loss || "E";
  }
  const param = $("param"), keep = param.value;
  param.replaceChildren(...info.params.map((p) => el("option", {value: p}, p)));
  if (info.params.includes(keep)) param.value = keep;
  for (const k of Object.keys(symbolMathml)) delete symbolMathml[k];
  $("verdict").replaceChildren(); $("steps").replaceChildren(); $("lines").replaceChildren();
  $("answer-error").textContent = ""; $("backward-error").textContent = "";
  await Promise.all([loadNotes(), preview()]);
}

function onNoSpec() {
  // The spec field emptied: a network's page (a pasted derivation is read without a spec), no notes to show.
  showKind({kind: "network", params: []});
  $("param").replaceChildren();
  $("verdict").replaceChildren(); $("steps").replaceChildren(); $("lines").replaceChildren();
  $("notes").srcdoc = ""; $("notes-status").textContent = "no spec: no notes"; $("notes-error").textContent = "";
}

async function symbols(names) {
  // MathML of the given symbols (by spec name), converted once per spec.
  const todo = names.filter((n) => !(n in symbolMathml) && Spec.info && n in Spec.info.symbols);
  const converted = await toMathml(todo.map((n) => Spec.info.symbols[n]));
  todo.forEach((n, i) => { symbolMathml[n] = converted[i]; });
}

async function preview() {
  const text = $("answer").value, target = $("preview-math");
  if (!text.trim() || !Spec.info) { target.replaceChildren(); return; }
  const r = await api("/api/parse", {spec: Spec.value(), answer: text});
  if (text !== $("answer").value) return;                 // typed on meanwhile
  if (r.ok) { target.replaceChildren(maths(r.data.mathml, r.data.latex)); $("answer-error").textContent = ""; }
  else { target.replaceChildren(); $("answer-error").textContent = r.data.error; }
}

function number(x) { return typeof x === "number" ? Number(x.toPrecision(6)).toString() : String(x); }

async function check() {
  const button = $("check");
  $("answer-error").textContent = ""; $("verdict").replaceChildren();
  button.disabled = true;
  try {
    const r = await api("/api/check", {spec: Spec.value(), param: $("param").value, answer: $("answer").value});
    if (!r.ok) { $("answer-error").textContent = r.data.error; reveal($("answer-error")); return; }
    if (isTensor()) $("verdict").replaceChildren(showLines(r.data, "verdict", true)); else await showVerdict(r.data);
    reveal($("verdict"));
  } finally { button.disabled = false; }
}

async function showVerdict(v) {
  const cex = v.counterexample, leaves = cex ? cex.leaves.filter((k) => k in cex.point) : [];
  await symbols([v.param]);
  const [parsed, expected, ...leafMl] = await toMathml([v.parsed, v.expected, ...leaves.map((k) => cex.symbols[k] || k)]);
  const said = await proseFolded(v.diagnosis.map((m) => m.message));
  const box = el("div", {class: `verdict ${v.correct ? "correct" : "incorrect"}`, id: "verdict-box"});
  box.append(el("h3", {id: "verdict-status"}, v.correct ? "✓ Correct" : "✗ Incorrect",
                el("span", {class: "muted"}, ` · `, maths(symbolMathml[v.param], v.param),
                   ` · decided ${v.method === "exact" ? "exactly" : v.method === "numeric" ? "numerically" : "by a counterexample"}`)));
  box.append(el("p", {}, "Your answer: ", maths(parsed, v.parsed)));
  if (!v.correct) {
    box.append(el("p", {}, "Expected (chain rule, delta form): ", maths(expected, v.expected)));
    const list = el("ul", {id: "diagnosis"});
    v.diagnosis.forEach((m, i) => list.append(el("li", {"data-kind": m.kind}, said[i])));
    if (!v.diagnosis.length) list.append(el("li", {}, "no usual mistake matches; compare with the expected form"));
    box.append(el("p", {}, "What went wrong:"), list);
  }
  if (cex) {
    const at = el("span");
    leaves.forEach((k, i) => at.append(i ? ", " : "", maths(leafMl[i], cex.symbols[k] || k), ` = ${number(cex.point[k])}`));
    if (cex.more) at.append(` (and ${cex.more} more)`);
    const where = cex.kind === "symbols" ? `Counterexample: at one point of all ${cex.leaf_count} leaves, where ` : "Counterexample: at ";
    box.append(el("p", {id: "counterexample"}, where, at,
                  `: the derivative is ${number(cex.expected)}, your formula gives ${number(cex.given)}.`));
  }
  $("verdict").replaceChildren(box);
}

function showLines(report, id, single) {
  // The `derive check --backward --json` object: one row per line, correct or wrong with its diagnoses.
  const table = el("table", {id: `${id}-table`, class: "steps"},
    el("tr", {}, el("th", {}, "line"), el("th", {}, "tensor"), el("th", {}, "verdict"), el("th", {}, "what is wrong")));
  for (const x of report.lines) {
    const why = el("td", {class: "why"});
    for (const d of x.diagnosis) why.append(el("div", {"data-kind": d.kind}, d.message));
    table.append(el("tr", {class: `line ${x.correct ? "correct" : "wrong"}`},
      el("td", {class: "num"}, x.line), el("td", {}, el("code", {}, x.name)),
      el("td", {class: `status ${x.correct ? "correct" : "wrong"}`}, x.correct ? "✓ correct" : "✗ wrong"), why));
  }
  const right = report.lines.filter((x) => x.correct).length;
  const summary = el("p", {id: `${id}-summary`}, `${right} of ${report.lines.length} line${report.lines.length === 1 ? "" : "s"} correct` +
    (report.first_wrong === null ? "." : `; first wrong line: ${report.first_wrong}.`));
  const box = el("div", {class: `verdict ${report.first_wrong === null ? "correct" : "incorrect"}`});
  if (single) box.append(el("h3", {id: "verdict-status"}, report.first_wrong === null ? "✓ Correct" : "✗ Incorrect",
                            el("span", {class: "muted"}, " · ", el("code", {}, report.lines[0].name))), table);
  else box.append(summary, table);
  return box;
}

async function checkBackward() {
  const button = $("check-backward");
  $("backward-error").textContent = ""; $("lines").replaceChildren();
  button.disabled = true;
  try {
    const r = await api("/api/check", {spec: Spec.value(), backward: $("backward").value});
    if (!r.ok) { $("backward-error").textContent = r.data.error; return; }
    $("lines").replaceChildren(showLines(r.data, "lines"));
    reveal($("lines"));
  } finally { button.disabled = false; }
}

function wide(on) {
  // The notes over the whole window (a diagram needs room), and back; Escape closes.
  document.body.classList.toggle("notes-wide", on);
  $("notes-wide").textContent = on ? "Close wide view" : "Open wide";
  $("notes-wide").setAttribute("aria-pressed", String(on));
}

async function loadNotes() {
  const frame = $("notes");
  $("notes-error").textContent = ""; $("notes-status").textContent = "deriving and proving…";
  const r = await api("/api/notes", {spec: Spec.value(), lang: $("lang").value, notation: $("notation").value});
  $("notes-status").textContent = "";
  if (!r.ok) { $("notes-error").textContent = r.data.error; return; }
  frame.srcdoc = r.data.text;
  $("notes-status").textContent = r.data.notation === "tensor" ? `${r.data.params.length} gradient tensors, each proven`
    : `${r.data.params.length} parameters · ${r.data.notation} notation`;
}

document.addEventListener("DOMContentLoaded", () => {
  Spec.listeners.push(onSpec);
  Spec.emptyListeners.push(onNoSpec);
  $("answer").addEventListener("input", () => { $("verdict").replaceChildren(); $("answer-error").textContent = ""; });
  $("answer").addEventListener("input", debounce(preview, 250));
  $("param").addEventListener("change", () => $("verdict").replaceChildren());
  $("derivation").addEventListener("input", () => $("steps").replaceChildren());
  $("backward").addEventListener("input", () => $("lines").replaceChildren());
  $("notes-wide").addEventListener("click", () => wide(!document.body.classList.contains("notes-wide")));
  document.addEventListener("keydown", (ev) => { if (ev.key === "Escape") wide(false); });
  $("answer").addEventListener("keydown", (ev) => { if (ev.key === "Enter") check(); });
  $("check-backward").addEventListener("click", checkBackward);
  $("backward-file").addEventListener("change", async (ev) => {
    try { $("backward").value = await readFile(ev.target); } catch (e) { $("backward-error").textContent = e.message; }
  });
  $("check").addEventListener("click", check);
  $("check-derivation").addEventListener("click", () => checkDerivation());
  $("text-notation").addEventListener("change", () => $("steps").replaceChildren());
  $("derivation-file").addEventListener("change", async (ev) => {
    try { $("derivation").value = await readFile(ev.target); } catch (e) { $("derivation-error").textContent = e.message; }
  });
  $("lang").addEventListener("change", loadNotes);
  $("notation").addEventListener("change", loadNotes);
  Spec.init();
});
