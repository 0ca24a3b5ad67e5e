// derive serve: what both pages share. Plain JavaScript, no libraries, nothing fetched from elsewhere.
"use strict";

async function api(path, body) {
  // POST (or GET without a body) to the JSON API; resolves to {ok, status, data}.
  const init = body === undefined ? {} : {method: "POST", headers: {"Content-Type": "application/json"},
                                          body: JSON.stringify(body)};
  let response;
  try { response = await fetch(path, init); } catch (e) {
    return {ok: false, status: 0, data: {error: "the derive server is not reachable"}};
  }
  let data;
  try { data = await response.json(); } catch (e) { data = {error: `HTTP ${response.status}`}; }
  return {ok: response.ok, status: response.status, data};
}

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") node.className = v; else node.setAttribute(k, v);
  }
  for (const c of children) node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return node;
}

// MathML the page may show: these elements and attributes only (the server's derive/notes/sanitize.py
// allowlist); everything else in a server string is dropped, its text kept as text.
const MATHML_NS = "http://www.w3.org/1998/Math/MathML";
const MATHML_ELEMENTS = new Set(("math mrow mi mn mo mtext ms mspace msub msup msubsup munder mover munderover " +
  "mfrac msqrt mroot mstyle mpadded mphantom menclose mtable mtr mtd merror mmultiscripts mprescripts none").split(" "));
const MATHML_ATTRIBUTES = new Set(("display mathvariant displaystyle stretchy fence separator accent accentunder " +
  "movablelimits largeop symmetric scriptlevel form lspace rspace width height depth voffset minsize maxsize " +
  "mathsize linethickness columnspacing rowspacing columnalign rowalign columnlines rowlines frame notation " +
  "mathcolor mathbackground linebreak").split(" "));

function mathmlNode(source) {
  // A fresh MathML node built from a parsed one through DOM calls: allowlisted elements and attributes
  // (values of letters, digits, '#', '.', '%', '+', '-' and spaces), text as text nodes, nothing else.
  if (source.nodeType === Node.TEXT_NODE) return document.createTextNode(source.nodeValue);
  if (source.nodeType !== Node.ELEMENT_NODE) return null;
  const keep = source.namespaceURI === MATHML_NS && MATHML_ELEMENTS.has(source.localName);
  const node = keep ? document.createElementNS(MATHML_NS, source.localName) : document.createDocumentFragment();
  if (keep) {
    for (const a of source.attributes) {
      if (!a.namespaceURI && MATHML_ATTRIBUTES.has(a.localName) && /^[A-Za-z0-9#.%+\- ]{0,64}$/.test(a.value)) {
        node.setAttribute(a.localName, a.value);
      }
    }
  }
  for (const c of source.childNodes) { const n = mathmlNode(c); if (n) node.append(n); }
  return node;
}

function parseMathml(markup) {
  // Server MathML (one <math> element, well-formed XML) as a DOM node, or null if it is not that.
  const doc = new DOMParser().parseFromString(String(markup), "application/xml");
  const root = doc.documentElement;
  if (!root || doc.getElementsByTagName("parsererror").length || root.namespaceURI !== MATHML_NS
      || root.localName !== "math") return null;
  return mathmlNode(root);
}

function maths(markup, fallback) {
  // A span holding server-made MathML, inserted through the allowlist walk; or the LaTeX as code.
  const span = el("span", {class: "maths"});
  const node = markup ? parseMathml(markup) : null;
  if (node) span.append(node); else span.append(el("code", {}, fallback || ""));
  return span;
}

async function proseAll(messages) {
  // Sentences with $...$ maths in the notation's LaTeX (diagnoses): one span each, the maths as MathML.
  const parts = messages.map((m) => String(m).split("$"));
  const ml = await toMathml(parts.flatMap((p) => (p.length % 2 ? p.filter((_, i) => i % 2) : [])));
  let k = 0;
  return parts.map((p, j) => {
    const out = el("span");
    if (p.length % 2 === 0) { out.append(messages[j]); return out; }     // an unpaired $: plain text
    p.forEach((piece, i) => out.append(i % 2 ? maths(ml[k++], piece) : piece));
    return out;
  });
}

async function toMathml(latexList) {
  // LaTeX -> MathML for display, at most 64 at a time; null where the converter cannot read it.
  const out = [];
  for (let i = 0; i < latexList.length; i += 64) {
    const r = await api("/api/mathml", {latex: latexList.slice(i, i + 64)});
    out.push(...(r.ok ? r.data.mathml : latexList.slice(i, i + 64).map(() => null)));
  }
  return out;
}

function reveal(node) {
  // Bring a fresh result into view and give it the focus (screen readers also hear it: aria-live).
  const tall = node.getBoundingClientRect().height > window.innerHeight;
  node.scrollIntoView({block: tall ? "start" : "nearest", behavior: "instant"});
  node.focus({preventScroll: true});
}

function foldLatex(message, keep = 3) {
  // A sentence whose $...$ maths is a list of more than keep + 1 items, folded to its first items and a
  // count ("$a, b, c, \\ldots$ (8 in all)"); null when nothing needs folding.
  const pieces = String(message).split("$");
  if (pieces.length % 2 === 0) return null;
  let folded = false;
  const out = pieces.map((piece, i) => {
    if (i % 2 === 0) return piece;
    const items = [];
    let depth = 0, start = 0;
    for (let k = 0; k < piece.length; k++) {
      const ch = piece[k];
      if (ch === "{" || ch === "(" || ch === "[") depth++;
      else if (ch === "}" || ch === ")" || ch === "]") depth--;
      else if (ch === "," && depth === 0) { items.push(piece.slice(start, k)); start = k + 1; }
    }
    items.push(piece.slice(start));
    if (items.length <= keep + 1) return piece;
    folded = true;
    return `${items.slice(0, keep).join(",")}, \\ldots$ (${items.length} in all)$`;
  });
  return folded ? out.join("$").replace(/\$\$/g, "") : null;
}

async function proseFolded(messages) {
  // proseAll, with long lists folded: the short form shown, the whole list one click away.
  const short = messages.map((m) => foldLatex(m));
  const all = await proseAll([...messages, ...short.filter((x) => x !== null)]);
  let k = messages.length;
  return messages.map((m, i) => {
    if (short[i] === null) return all[i];
    return el("details", {class: "fold"}, el("summary", {}, all[k++]), all[i]);
  });
}

function readFile(input) {
  return new Promise((resolve, reject) => {
    const file = input.files[0];
    if (!file) { reject(new Error("choose a file first")); return; }
    const reader = new FileReader();
    reader.onload = () => resolve(reader.result);
    reader.onerror = () => reject(new Error(`cannot read ${file.name}`));
    reader.readAsText(file);
  });
}

// The spec chooser: a bundled example is sent by name while its text is unchanged, else the text.
const Spec = {
  example: "", exampleText: "", info: null, listeners: [], emptyListeners: [],
  value() {
    const text = document.getElementById("spec").value;
    return this.example && text === this.exampleText ? this.example : text;
  },
  async pick(name) {
    this.example = name;
    if (!name) { this.exampleText = ""; return; }
    const r = await api(`/api/examples/${encodeURIComponent(name)}`);
    if (r.ok) { this.exampleText = r.data.text; document.getElementById("spec").value = r.data.text; }
  },
  async load() {
    const error = document.getElementById("spec-error"), name = document.getElementById("spec-name");
    error.textContent = ""; name.textContent = "loading…";
    if (!this.value().trim() && this.emptyListeners.length) {      // no spec: a page that can do without one
      this.info = null; name.textContent = "no spec: a pasted derivation's network is read from its forward pass";
      for (const f of this.emptyListeners) await f();
      return;
    }
    const r = await api("/api/spec", {spec: this.value()});
    if (!r.ok) { error.textContent = r.data.error; name.textContent = ""; this.info = null; return; }
    this.info = r.data;
    name.textContent = r.data.kind === "tensor"
      ? `${r.data.name} · tensor program · ${r.data.params.length} gradient tensors`
      : `${r.data.name} · ${r.data.params.length} trainable parameters · ${r.data.notation} notation`;
    for (const f of this.listeners) await f(r.data);
  },
  init() {
    const select = document.getElementById("example");
    select.addEventListener("change", async () => { await this.pick(select.value); await this.load(); });
    document.getElementById("load-spec").addEventListener("click", () => this.load());
    document.getElementById("spec").addEventListener("input", () => {
      const text = document.getElementById("spec").value;
      if (text !== this.exampleText) select.value = "";
      if (!text.trim() && this.info) this.load();          // emptied: say so (the derivation is read without one)
    });
    document.getElementById("spec-file").addEventListener("change", async (ev) => {
      try { document.getElementById("spec").value = await readFile(ev.target); } catch (e) {
        document.getElementById("spec-error").textContent = e.message; return; }
      select.value = ""; this.example = ""; await this.load();
    });
    return this.pick(select.value).then(() => this.load());
  },
};
