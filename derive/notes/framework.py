"""The section a framework model's notes end with: the framework's code beside the derived update rules.

A Keras model's notes show the code that built and trained it (``Sequential``, ``Dense``, ``compile``,
``fit``), the update ``fit`` applies with Keras's own constants, and, parameter by parameter, the Keras
variable (``dense_1/kernel[0,0]``), its symbol in the notes (``V_1``) and the gradient the chain rule
gave for it: what ``fit`` computes without the code ever showing it.  Text is escaped by the caller's
format (``text``); mathematics goes through the caller's ``math`` (MathML on the web page).
"""
from __future__ import annotations

OPTIMIZER_RULES = {   # Keras's update_step, as LaTeX over g = dL/dp
    "sgd": r"p \leftarrow p - \eta\, g",
    "sgd_momentum": r"m \leftarrow \mu m - \eta\, g,\quad p \leftarrow p + m",
    "adam": r"m \leftarrow m + (1-\beta_1)(g - m),\ v \leftarrow v + (1-\beta_2)(g^2 - v),\ "
            r"p \leftarrow p - \frac{\eta\sqrt{1-\beta_2^t}}{1-\beta_1^t}\,\frac{m}{\sqrt{v} + \epsilon}",
    "rmsprop": r"v \leftarrow \rho v + (1-\rho) g^2,\quad p \leftarrow p - \frac{\eta\, g}{\sqrt{v + \epsilon}}",
}
WORDS = {   # (title, introduction, table heads) in each language of the notes
    "en": ("What model.fit does: the Keras code beside the derived update rules",
           "Keras builds and trains this network with the code below; backpropagation appears nowhere in it. "
           "For every batch, fit computes the gradient of the loss (the mean over the batch) with respect to "
           "every variable, exactly the derivatives above, and applies the optimizer's update:",
           ("Keras variable", "symbol", "its gradient for one example (chain rule)", "what fit does per batch of m")),
    "ko": ("model.fit이 하는 일: Keras 코드와 유도한 갱신 규칙",
           "Keras는 아래 코드로 이 신경망을 만들고 학습시킵니다. 코드 어디에도 역전파는 보이지 않습니다. fit은 "
           "배치마다 손실(배치 평균)의 기울기를 모든 변수에 대해 계산하고(위에서 유도한 바로 그 미분), 옵티마이저의 "
           "갱신을 적용합니다:",
           ("Keras 변수", "기호", "예제 하나의 기울기 (연쇄 법칙)", "크기 m인 배치마다 fit이 하는 일")),
    "ja": ("model.fit がしていること: Keras のコードと導いた更新則",
           "Keras は下のコードでこのネットワークを作り、学習させます。コードのどこにも逆伝播は現れません。fit は"
           "バッチごとに損失(バッチ平均)の勾配をすべての変数について計算し(上で導いた微分そのもの)、"
           "オプティマイザの更新を適用します:",
           ("Keras の変数", "記号", "1 例の勾配 (連鎖律)", "大きさ m のバッチごとに fit がすること")),
}
LOSS_CODE = {"mse": "'mse'", "bce": "'binary_crossentropy'", "ce": "'categorical_crossentropy'"}


def keras_code(m) -> str:
    """The Keras code of a layered model, as seed 004 writes it."""
    spec = m.spec
    lines = ["model = Sequential()"]
    for k, L in enumerate(spec["layers"]):
        arg = f", input_dim={m.n_inputs}" if k == 0 else ""
        bias = "" if L["bias"] != "none" else ", use_bias=False"
        lines.append(f"model.add(Dense({L['units']}{arg}, activation='{L['activation']}'{bias}))")
    opt = m.optimizer or {"name": "sgd", "learning_rate": 0.01}
    args = ", ".join(f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}"
                     for k, v in opt.items() if k != "name" and not (k == "momentum" and not v)
                     and not (k == "nesterov" and not v))
    cls = {"sgd": "SGD", "adam": "Adam", "rmsprop": "RMSprop"}[opt["name"]]
    targets = "'sparse_categorical_crossentropy'" if m.targets == "indices" else LOSS_CODE[m.loss]
    lines.append(f"model.compile(optimizer={cls}({args}), loss={targets})")
    lines.append("results = model.fit(X, y, epochs=50, batch_size=32, shuffle=False)")
    return "\n".join(lines)


def rows(m, net, notes) -> list[tuple[str, str, str, str]]:
    """(Keras variable, symbol LaTeX, gradient LaTeX, update LaTeX) for each parameter the notes show:
    plain SGD's update written out with its learning rate, otherwise the batch gradient g the rule takes."""
    opt = m.optimizer or {"name": "sgd", "learning_rate": 0.01}
    lr = f"{opt['learning_rate']:g}" if opt["name"] == "sgd" and not opt.get("momentum") else None
    out = []
    for block in notes.params:
        fw, idx = m.entries[block.name]
        var = f"{fw}[{','.join(str(i) for i in idx)}]"
        grad = block.delta_form.parts[-1] if block.delta_form.parts else ""
        mean = r"\frac{1}{m} \sum_{i=1}^{m} \left(%s\right)^{(i)}" % grad
        if lr is None:
            upd = r"g = " + mean
        else:
            upd = r"%s \leftarrow %s - %s \cdot %s" % (block.symbol, block.symbol, lr, mean)
        out.append((var, block.symbol, grad, upd))
    return out


def section(net, notes, fmt: str, math, text, lang: str = "en") -> str:
    """The section in ``fmt`` (md | html | tex); empty for a model that came from no framework."""
    m = getattr(net, "framework", None)
    if m is None or m.spec is None or m.framework != "keras":
        return ""
    opt = m.optimizer or {"name": "sgd", "learning_rate": 0.01}
    key = "sgd_momentum" if opt["name"] == "sgd" and opt.get("momentum") else opt["name"]
    rule = OPTIMIZER_RULES[key]
    consts = r",\ ".join(f"{s} = {opt[k]:g}" for s, k in ((r"\eta", "learning_rate"), (r"\mu", "momentum"),
                                                         (r"\beta_1", "beta_1"), (r"\beta_2", "beta_2"),
                                                         (r"\rho", "rho"), (r"\epsilon", "epsilon"))
                         if opt.get(k) and not (k == "momentum" and key == "sgd"))
    code = keras_code(m)
    title, intro, head = WORDS.get(lang, WORDS["en"])
    table = rows(m, net, notes)
    shown = rule + r"\qquad (" + consts + ")"
    if fmt == "md":
        out = [f"## {text(title)}", "", text(intro), "", "```python", code, "```", "",
               f"$$\n{shown}\n$$", "", "| " + " | ".join(head) + " |", "|---|---|---|---|"]
        out += [f"| `{v}` | {math(s)} | {math(g)} | {math(u)} |" for v, s, g, u in table]
        return "\n".join(out) + "\n"
    if fmt == "html":
        cells = "".join(f"<tr><td><code>{text(v)}</code></td><td>{math(s)}</td><td>{math(g)}</td>"
                        f"<td>{math(u)}</td></tr>" for v, s, g, u in table)
        return (f'<section class="framework"><h2>{text(title)}</h2><p>{text(intro)}</p>'
                f'<div class="beside" style="display:flex;gap:2em;flex-wrap:wrap"><pre><code>{text(code)}</code></pre>'
                f"<p>{math(shown)}</p></div>"
                f"<table><thead><tr>{''.join(f'<th>{text(h)}</th>' for h in head)}</tr></thead>"
                f"<tbody>{cells}</tbody></table></section>\n")
    body = " \\\\\n".join(f"\\texttt{{{text(v)}}} & {math(s)} & {math(g)} & {math(u)}" for v, s, g, u in table)
    return (f"\\section*{{{text(title)}}}\n{text(intro)}\n\\begin{{verbatim}}\n{code}\n\\end{{verbatim}}\n"
            f"\\[ {shown} \\]\n\\begin{{tabular}}{{llll}}\n"
            + " & ".join(f"\\textbf{{{text(h)}}}" for h in head) + " \\\\\n" + body + "\n\\end{tabular}\n")
