// The student page's whole-derivation check: every step marked; what was read from the text when the spec
// field is empty; the preset that would read a text whose symbols are mostly unknown; the text's own symbols
// and what each was bound to. Every name is server LaTeX turned into MathML through the allowlist (maths()).
"use strict";

const MARK = {correct: "✓ correct", wrong: "✗ wrong", definition: "≔ definition", unchecked: "? not checked"};
const OPEN_BINDINGS = 12;         // more rows than this: the symbols table starts folded

function derivationBody(noSpec) {
  const body = {spec: noSpec ? "" : Spec.value(), derivation: $("derivation").value};
  const preset = $("text-notation").value;
  if (preset) body.preset = preset;
  return body;
}

async function checkDerivation(noSpec = false) {
  const button = $("check-derivation"), error = $("derivation-error");
  error.textContent = ""; $("steps").replaceChildren();
  button.disabled = true;
  try {
    const body = derivationBody(noSpec);
    const r = await api("/api/check", body);
    if (!r.ok) {
      error.textContent = r.data.error;
      if (!body.spec.trim() && r.status === 422 && !r.data.steps) {
        error.append(el("span", {class: "ask"}, " Paste or pick the network's spec under Network above, then check again."));
      }
      if (!r.data.steps) { reveal(error); return; }
    }
    const parts = [];
    if (r.data.network) parts.push(await readLine(r.data.network));
    if (r.data.suggested_preset) parts.push(suggestion(r.data.suggested_preset));
    if (r.data.applied_preset) parts.push(applied(r.data.applied_preset, body));
    const rows = bindingRows(r.data);
    if (rows.length) parts.push(await bindingsTable(rows));
    parts.push(...await stepsTable(r.data, body));
    $("steps").replaceChildren(...parts);
    reveal($("steps"));
  } finally { button.disabled = false; }
}

async function readLine(net) {
  // What the text's forward pass determined, in one paragraph, as `derive check --derivation FILE` says it.
  const leaves = [...net.inputs, ...net.params], units = net.units;
  const names = [...leaves.map((x) => x.name), ...units.map((u) => u.name), net.loss || ""];
  const ml = await toMathml(names);
  const name = (i) => maths(ml[i], names[i]);
  const p = el("p", {id: "derivation-read", class: "read"}, el("strong", {}, "Read from the text: "));
  const list = (label, items, show) => {
    p.append(el("span", {class: "muted"}, `${label} `));
    if (!items.length) p.append("none");
    items.forEach((x, i) => p.append(i ? ", " : "", ...show(x, i)));
    p.append("; ");
  };
  const value = (x, i) => [name(i), x.value === null ? " (no value)" : ` = ${number(x.value)}${x.solved ? " (solved)" : ""}`];
  list("inputs", net.inputs, (x, i) => value(x, i));
  list("parameters", net.params, (x, i) => value(x, i + net.inputs.length));
  list("units", units, (u, i) => [name(leaves.length + i), u.role ? ` (${u.role})` : ""]);
  p.append(el("span", {class: "muted"}, "loss "), net.loss ? name(names.length - 1) : "none");
  if (net.learning_rate !== null) p.append("; ", el("span", {class: "muted"}, "learning rate "), number(net.learning_rate));
  p.append(".");
  return p;
}

function applied(preset, body) {
  // No notation chosen, most of the text unread without one: it was read as the notation its marks name.
  if (!body.preset || body.preset === "auto") $("text-notation").value = preset;
  return el("div", {id: "derivation-applied", class: "notice"},
    el("p", {}, "Read as ", el("strong", {}, preset), "'s notation: the text carries its marks, and without it most " +
       "of its equalities could not be checked. It is now chosen under Text notation; choose another to read the text otherwise."));
}

function suggestion(preset) {
  // Most of the text unread: name the preset that reads it, and offer to check it that way.
  const box = el("div", {id: "derivation-suggest", class: "notice"},
    el("p", {}, "Most symbols here are unknown: the text reads like ", el("strong", {}, preset), "'s notation."));
  const noSpec = preset === "mazur";          // Mazur's names: the network is read from the text itself
  const button = el("button", {type: "button", id: "use-suggested"},
                    noSpec ? "Check it with no spec" : `Read it as ${preset}`);
  button.addEventListener("click", () => {
    if (!noSpec) $("text-notation").value = preset;
    checkDerivation(noSpec);
  });
  box.append(button);
  return box;
}

function bindingRows(data) {
  // [symbol, LaTeX it was read as (or null), what] for the text's own names: the network read from the text
  // (no spec), a preset's symbols, the names bound by their defining lines, local definitions.
  const rows = [];
  for (const u of (data.network ? data.network.units : [])) {
    const how = [u.role || "quantity"];
    if (u.line) how.push(`line ${u.line}`);
    rows.push({name: u.name, latex: u.formula, what: how.join(", "), from: u.generalised_from || "", eq: true});
  }
  for (const b of data.bindings || []) {
    rows.push({name: b.name, latex: b.latex, what: b.kind + (b.line ? `, line ${b.line}` : "")});
  }
  return rows;
}

async function bindingsTable(rows) {
  const ml = await toMathml(rows.flatMap((x) => [x.name, x.latex || "", x.from || ""]));
  const bound = rows.filter((x) => x.latex).length, local = rows.length - bound;
  const table = el("table", {id: "bindings-table", class: "binds"},
    el("tr", {}, el("th", {}, "the text's symbol"), el("th", {}, "bound to"), el("th", {}, "what")));
  rows.forEach((x, i) => {
    const to = x.latex ? maths(ml[3 * i + 1], x.latex) : el("span", {class: "muted"}, "nothing in the network");
    const what = el("td", {class: "what"}, x.what);
    if (x.from) what.append(", generalised from ", maths(ml[3 * i + 2], x.from));     // net_{h2} from net_{h1}
    table.append(el("tr", {class: x.latex ? "bound" : "local"}, el("td", {}, maths(ml[3 * i], x.name)),
      el("td", {class: "to"}, el("span", {class: "eq"}, x.eq && x.latex ? "= " : "", to)), what));
  });
  const said = `The text's symbols: ${bound} bound to the network` + (local ? `, ${local} local (defined, matching nothing)` : "");
  const box = el("details", {id: "bindings", class: "bindings"}, el("summary", {}, said), table);
  if (rows.length <= OPEN_BINDINGS) box.open = true;
  return box;
}

const DEFINES = /^defines (.+?)(?:: the network's \$(.+)\$ \(([\w ]+)\))?$/;

async function stepNotes(steps, kinds) {
  // Each step's note as a span: "defines net_{h1}: the network's $a_1$ (pre)" with the text's name set as maths
  // too and the kind said as the symbols table says it; any other note with its $...$ maths as MathML.
  const defined = steps.map((s) => (s.status === "definition" && DEFINES.exec(s.note || "")) || null);
  const ml = await toMathml(defined.filter(Boolean).flatMap((m) => [m[1], m[2] || ""]));
  const other = await proseAll(steps.map((s, i) => (defined[i] ? "" : s.note || "")));
  let k = 0;
  return steps.map((s, i) => {
    const m = defined[i];
    if (!m) return other[i];
    const [name, to] = [ml[k++], ml[k++]];
    const out = el("span", {}, "defines ", maths(name, m[1]));
    if (m[2]) out.append(": the network's ", maths(to, m[2]), ` (${kinds[m[1]] || m[3]})`);
    else out.append(" (a local definition: it matches nothing in the network)");
    return out;
  });
}

async function stepsTable(data, body) {
  const steps = data.steps;
  const said = await proseFolded(steps.flatMap((s) => s.diagnosis.map((m) => m.message)));
  const kinds = Object.fromEntries((data.bindings || []).map((b) => [b.name, b.kind]));
  const notes = await stepNotes(steps, kinds);
  const ml = await toMathml(steps.map((s) => `${s.left} = ${s.right}`));
  const table = el("table", {id: "steps-table", class: "steps"},
    el("tr", {}, el("th", {}, "line"), el("th", {}, "step"), el("th", {}, "verdict"), el("th", {}, "why")));
  steps.forEach((s, i) => {
    const why = el("td", {class: "why"});
    if (s.note) why.append(el("div", {}, notes[i]));
    for (const _ of s.diagnosis) why.append(el("div", {}, said.shift()));
    table.append(el("tr", {class: `step ${s.status}`},
      el("td", {class: "num"}, s.line), el("td", {class: "step-maths"}, maths(ml[i], `${s.left} = ${s.right}`)),
      el("td", {class: `status ${s.status}`}, MARK[s.status] || s.status), why));
  });
  const first = data.first_wrong;
  const how = !body.spec.trim() ? " (no spec: the network read from the text)"
    : data.preset || data.applied_preset ? ` (read in ${data.preset || data.applied_preset}'s notation)` : "";
  return [el("p", {id: "derivation-summary"}, `${data.checked} steps checked${how}; ` +
    (first === null ? "no wrong step." : `first wrong step on line ${steps[first].line}.`)), table];
}
