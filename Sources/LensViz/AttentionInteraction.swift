/// The hover behaviour of the attention pages (`AttentionPattern.html()`, `AttentionGrid.html()`).
///
/// Hovering a token label (row or column) highlights that token's row (where it attends as a
/// query) and its column (what attends to it as a key); hovering a cell highlights the cell's row
/// and column. Every other cell fades, the matching labels turn orange and bold, an outline is
/// drawn around the row and column in every panel (so in a grid all heads light up together), and
/// a line of text under the figure spells out the tokens and the weight.
///
/// The script finds cells by their `data-q`/`data-k` attributes and panels by their `data-x`,
/// `data-y`, `data-cw`, `data-ch`, `data-rows`, `data-cols` attributes, all written by
/// `MatrixPanel`. It touches nothing outside `svg.lensviz` elements and the `#lensviz-info` line.
enum AttentionInteraction {
    /// The page body: the figure, then the info line the script writes to.
    static func body(svg: String) -> String {
        svg + "<p class=\"hint\" id=\"lensviz-info\">Hover a token label or a cell: its row (where the query attends) and its column (what attends to the key) are highlighted.</p>"
    }

    static let style = """
    svg.focus .cell { opacity: 0.28; }
    svg.focus .cell.hl { opacity: 1; }
    svg.focus .row-label.hl, svg.focus .col-label.hl { fill: #c25e00; font-weight: 700; }
    .cell, .row-label, .col-label { cursor: crosshair; }
    """

    /// The script, with the tokens and head labels embedded as JSON.
    static func script(tokens: [String], heads: [String]) -> String {
        let tokenJSON = "[" + tokens.map { json(Markup.displayToken($0)) }.joined(separator: ",") + "]"
        let headJSON = "[" + heads.map(json).joined(separator: ",") + "]"
        return """
        (function () {
          var tokens = \(tokenJSON);
          var heads = \(headJSON);
          var NS = 'http://www.w3.org/2000/svg';
          var info = document.getElementById('lensviz-info');
          var defaultInfo = info ? info.textContent : '';
          function tok(i) { return i + ' \\u201c' + (tokens[i] === undefined ? '?' : tokens[i]) + '\\u201d'; }
          document.querySelectorAll('svg.lensviz').forEach(function (svg) {
            var panels = Array.prototype.slice.call(svg.querySelectorAll('g.panel'));
            panels.forEach(function (p) {
              function outline() {
                var r = document.createElementNS(NS, 'rect');
                r.setAttribute('fill', 'none');
                r.setAttribute('stroke', '#e07b16');
                r.setAttribute('stroke-width', '1.5');
                r.setAttribute('pointer-events', 'none');
                r.style.display = 'none';
                p.appendChild(r);
                return r;
              }
              p.lensRow = outline();
              p.lensColumn = outline();
            });
            var lit = [];
            function place(r, x, y, w, h) {
              r.setAttribute('x', x); r.setAttribute('y', y);
              r.setAttribute('width', w); r.setAttribute('height', h);
              r.style.display = '';
            }
            function mark(selector) {
              svg.querySelectorAll(selector).forEach(function (e) { e.classList.add('hl'); lit.push(e); });
            }
            function clear() {
              lit.forEach(function (e) { e.classList.remove('hl'); });
              lit = [];
              svg.classList.remove('focus');
              panels.forEach(function (p) { p.lensRow.style.display = 'none'; p.lensColumn.style.display = 'none'; });
              if (info) { info.textContent = defaultInfo; }
            }
            function show(q, k) {
              svg.classList.add('focus');
              mark('.cell[data-q="' + q + '"]');
              mark('.cell[data-k="' + k + '"]');
              mark('.row-label[data-q="' + q + '"]');
              mark('.col-label[data-k="' + k + '"]');
              panels.forEach(function (p) {
                var x = +p.getAttribute('data-x'), y = +p.getAttribute('data-y');
                var cw = +p.getAttribute('data-cw'), ch = +p.getAttribute('data-ch');
                var rows = +p.getAttribute('data-rows'), cols = +p.getAttribute('data-cols');
                place(p.lensRow, x, y + q * ch, cols * cw, ch);
                place(p.lensColumn, x + k * cw, y, cw, rows * ch);
              });
            }
            function strongest(q) {
              var best = null;
              svg.querySelectorAll('.cell[data-q="' + q + '"]').forEach(function (c) {
                var v = parseFloat(c.getAttribute('data-v').replace('\\u2212', '-'));
                if (best === null || v > best.v) { best = { k: +c.getAttribute('data-k'), v: v, text: c.getAttribute('data-v') }; }
              });
              return best;
            }
            svg.addEventListener('mouseover', function (ev) {
              var t = ev.target.closest ? ev.target.closest('.cell, .row-label, .col-label') : null;
              clear();
              if (!t) { return; }
              var q, k, text;
              if (t.classList.contains('cell')) {
                q = +t.getAttribute('data-q'); k = +t.getAttribute('data-k');
                var h = t.getAttribute('data-h');
                text = (h === null ? '' : (heads[+h] || ('head ' + h)) + ': ') +
                  'query ' + tok(q) + ' \\u2192 key ' + tok(k) + ': ' + t.getAttribute('data-v');
              } else {
                q = k = +(t.getAttribute('data-q') || t.getAttribute('data-k'));
                text = 'token ' + tok(q) + ' \\u2014 row: where it attends; column: which queries attend to it';
                if (panels.length === 1) {
                  var best = strongest(q);
                  if (best) { text += ' (attends most to ' + tok(best.k) + ', ' + best.text + ')'; }
                }
              }
              show(q, k);
              if (info) { info.textContent = text; }
            });
            svg.addEventListener('mouseleave', clear);
          });
        })();
        """
    }

    /// A JavaScript string literal. `<`, `>` and `&` are written as \\u escapes so the literal can
    /// never close the script element or a CDATA section.
    static func json(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "<", ">", "&", "\u{2028}", "\u{2029}":
                out += "\\u" + hex4(scalar.value)
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F || scalar.value == 0xFFFE || scalar.value == 0xFFFF { out += "\\u" + hex4(scalar.value) }
                else { out.unicodeScalars.append(scalar) }
            }
        }
        return out + "\""
    }

    private static func hex4(_ value: UInt32) -> String {
        let digits = Array("0123456789abcdef")
        return String([digits[Int(value >> 12 & 0xF)], digits[Int(value >> 8 & 0xF)],
                       digits[Int(value >> 4 & 0xF)], digits[Int(value & 0xF)]])
    }
}
