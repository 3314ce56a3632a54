// The embetter explorer: 2-D projections of embedding spaces side by side,
// for reading and bulk-labelling texts. Plain JavaScript and <canvas>, no
// library (docs/explorer.md says why): points are drawn into an ImageData
// buffer, so 100,000 points cost one pass over a typed array, and hover and
// lasso look points up in a uniform grid per space instead of scanning all rows.
//
// Data (filled in by src/plot/explorer.cc): {title, texts, classes,
// label_index, spaces: [{name, xy}]}, xy = base64 of little-endian float32
// pairs. Texts only ever reach the page through textContent, never as HTML.
(function () {
  "use strict";

  const data = JSON.parse(document.getElementById("embetter-data").textContent);
  const texts = data.texts;
  const n = texts.length;
  const classes = data.classes.slice();          // label names; grows as labels are assigned
  const labelIndex = Int32Array.from(data.label_index);  // -1 = unlabelled
  const selected = new Uint8Array(n);            // shared by every space
  let selectedCount = 0;

  // matplotlib's tab10, then grey for unlabelled points.
  const TAB10 = [[31, 119, 180], [255, 127, 14], [44, 160, 44], [214, 39, 40], [148, 103, 189],
                 [140, 86, 75], [227, 119, 194], [127, 127, 127], [188, 189, 34], [23, 190, 207]];
  const GREY = [190, 190, 190];
  const rgbOf = (k) => (k < 0 ? GREY : TAB10[k % TAB10.length]);
  const cssOf = (k) => "rgb(" + rgbOf(k).join(",") + ")";
  // ImageData pixels read as little-endian uint32: 0xAABBGGRR. `fade` mixes towards white.
  function packed(rgb, fade) {
    const [r, g, b] = rgb.map((c) => Math.round(c + (255 - c) * fade));
    return ((255 << 24) | (b << 16) | (g << 8) | r) >>> 0;
  }

  function decodeFloat32(base64) {
    const bin = atob(base64);
    const bytes = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
    return new Float32Array(bytes.buffer);
  }

  // Even-odd ray casting; tests/browser/test_explorer.py repeats this formula
  // in numpy to check the page's selection.
  function insidePolygon(x, y, poly) {
    let inside = false;
    for (let i = 0, j = poly.length - 1; i < poly.length; j = i++) {
      const xi = poly[i][0], yi = poly[i][1], xj = poly[j][0], yj = poly[j][1];
      if ((yi > y) !== (yj > y) && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
    }
    return inside;
  }

  // ---- One chart per space ------------------------------------------------
  class Space {
    constructor(index, name, xy) {
      this.index = index;
      this.name = name;
      this.xy = xy;
      this.drawn = 0;
      this.lasso = null;      // CSS-pixel points of the lasso being drawn
      this.hoverRow = -1;
      this.lastPolygon = null;  // data coordinates of the last selection polygon
      let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
      for (let i = 0; i < n; i++) {
        const x = xy[2 * i], y = xy[2 * i + 1];
        if (x < x0) x0 = x; if (x > x1) x1 = x;
        if (y < y0) y0 = y; if (y > y1) y1 = y;
      }
      this.bounds = [x0, y0, x1, y1];
      this.buildGrid();

      const box = document.createElement("div");
      box.className = "space";
      const title = document.createElement("h2");
      title.textContent = name;
      this.canvas = document.createElement("canvas");
      this.canvas.dataset.space = name;
      box.append(title, this.canvas);
      document.getElementById("spaces").append(box);
      this.ctx = this.canvas.getContext("2d");
      this.listen();
    }

    // Rows bucketed into G × G cells over the bounding box (CSR layout):
    // a hit test reads only the cells its rectangle overlaps.
    buildGrid() {
      const [x0, y0, x1, y1] = this.bounds;
      const G = Math.max(1, Math.min(512, Math.round(Math.sqrt(n / 4))));
      const sx = G / Math.max(x1 - x0, 1e-12), sy = G / Math.max(y1 - y0, 1e-12);
      const cell = (x, y) => Math.min(G - 1, Math.floor((x - x0) * sx)) + G * Math.min(G - 1, Math.floor((y - y0) * sy));
      const start = new Int32Array(G * G + 1);
      const cellOf = new Int32Array(n);
      for (let i = 0; i < n; i++) { cellOf[i] = cell(this.xy[2 * i], this.xy[2 * i + 1]); start[cellOf[i] + 1]++; }
      for (let c = 0; c < G * G; c++) start[c + 1] += start[c];
      const fillAt = start.slice(0, G * G);
      const rows = new Int32Array(n);
      for (let i = 0; i < n; i++) rows[fillAt[cellOf[i]]++] = i;
      this.grid = { G, sx, sy, start, rows };
    }

    // Calls fn(row) for every row whose cell overlaps [xa, xb] × [ya, yb] (data units).
    forRowsNear(xa, ya, xb, yb, fn) {
      const { G, sx, sy, start, rows } = this.grid;
      const [x0, y0] = this.bounds;
      const clamp = (v) => Math.max(0, Math.min(G - 1, v));
      const ca = clamp(Math.floor((xa - x0) * sx)), cb = clamp(Math.floor((xb - x0) * sx));
      const ra = clamp(Math.floor((ya - y0) * sy)), rb = clamp(Math.floor((yb - y0) * sy));
      for (let r = ra; r <= rb; r++) {
        for (let c = ca; c <= cb; c++) {
          const cellIndex = c + G * r;
          for (let k = start[cellIndex]; k < start[cellIndex + 1]; k++) fn(rows[k]);
        }
      }
    }

    // View: data point (cx, cy) at the canvas centre, `scale` CSS pixels per
    // data unit along x and `scale * aspect` along y (y up). Each axis is fitted
    // on its own, as matplotlib does: a PCA's second axis is often much shorter.
    resize() {
      const dpr = window.devicePixelRatio || 1;
      this.width = this.canvas.clientWidth;
      this.height = this.canvas.clientHeight;
      this.canvas.width = Math.max(1, Math.round(this.width * dpr));
      this.canvas.height = Math.max(1, Math.round(this.height * dpr));
      this.dpr = this.canvas.width / Math.max(1, this.width);
    }
    fit() {
      const [x0, y0, x1, y1] = this.bounds;
      const margin = 12;
      this.scale = (this.width - 2 * margin) / Math.max(x1 - x0, 1e-12);
      this.aspect = (this.height - 2 * margin) / Math.max(y1 - y0, 1e-12) / this.scale;
      this.cx = (x0 + x1) / 2;
      this.cy = (y0 + y1) / 2;
    }
    toScreen(x, y) { return [(x - this.cx) * this.scale + this.width / 2, this.height / 2 - (y - this.cy) * this.scale * this.aspect]; }
    toData(px, py) { return [(px - this.width / 2) / this.scale + this.cx, this.cy - (py - this.height / 2) / (this.scale * this.aspect)]; }

    // Draws every point into a fresh ImageData: unselected first, then the
    // selection on top; with a selection, the other points are faded.
    render() {
      const W = this.canvas.width, H = this.canvas.height;
      this.image = this.ctx.createImageData(W, H);
      const buf = new Uint32Array(this.image.data.buffer);
      buf.fill(0xffffffff);
      const fade = selectedCount > 0 ? 0.75 : 0;
      const colours = [packed(GREY, fade)], strong = [packed(GREY, 0)];
      for (let k = 0; k < classes.length; k++) { colours.push(packed(rgbOf(k), fade)); strong.push(packed(rgbOf(k), 0)); }
      const size = n > 20000 ? 2 : 3, half = size >> 1;
      const s = this.scale * this.dpr, t = s * this.aspect, ox = this.width / 2 * this.dpr, oy = this.height / 2 * this.dpr;
      let drawn = 0;
      for (let pass = 0; pass < 2; pass++) {
        const palette = pass === 0 ? colours : strong;
        for (let i = 0; i < n; i++) {
          if (selected[i] !== pass) continue;
          const px = Math.round((this.xy[2 * i] - this.cx) * s + ox) - half;
          const py = Math.round(oy - (this.xy[2 * i + 1] - this.cy) * t) - half;
          if (px + size <= 0 || py + size <= 0 || px >= W || py >= H) continue;
          drawn++;
          const colour = palette[labelIndex[i] + 1];
          for (let dy = 0; dy < size; dy++) {
            const y = py + dy;
            if (y < 0 || y >= H) continue;
            for (let dx = 0; dx < size; dx++) {
              const x = px + dx;
              if (x >= 0 && x < W) buf[y * W + x] = colour;
            }
          }
        }
      }
      this.drawn = drawn;
      this.paint();
    }

    // The rendered points plus what moves with the mouse (lasso, hover ring).
    paint() {
      const ctx = this.ctx;
      ctx.putImageData(this.image, 0, 0);
      ctx.save();
      ctx.scale(this.dpr, this.dpr);
      if (this.hoverRow >= 0) {
        const [x, y] = this.toScreen(this.xy[2 * this.hoverRow], this.xy[2 * this.hoverRow + 1]);
        ctx.strokeStyle = "#000";
        ctx.lineWidth = 1.5;
        ctx.beginPath();
        ctx.arc(x, y, 5, 0, 2 * Math.PI);
        ctx.stroke();
      }
      if (this.lasso && this.lasso.length > 1) {
        ctx.strokeStyle = "#333";
        ctx.fillStyle = "rgba(0, 0, 0, 0.06)";
        ctx.setLineDash([4, 3]);
        ctx.beginPath();
        this.lasso.forEach(([x, y], k) => (k ? ctx.lineTo(x, y) : ctx.moveTo(x, y)));
        ctx.closePath();
        ctx.fill();
        ctx.stroke();
      }
      ctx.restore();
    }

    // The nearest row within `radius` CSS pixels of (px, py), or -1.
    nearest(px, py, radius) {
      const [x, y] = this.toData(px, py);
      const rx = radius / this.scale, ry = rx / this.aspect;
      let best = -1, bestD = radius * radius;
      this.forRowsNear(x - rx, y - ry, x + rx, y + ry, (i) => {
        const [sx, sy] = this.toScreen(this.xy[2 * i], this.xy[2 * i + 1]);
        const d = (sx - px) * (sx - px) + (sy - py) * (sy - py);
        if (d <= bestD) { bestD = d; best = i; }
      });
      return best;
    }

    // Selects exactly the rows inside `poly` (data coordinates); returns the count.
    selectPolygon(poly) {
      let xa = Infinity, ya = Infinity, xb = -Infinity, yb = -Infinity;
      for (const [x, y] of poly) { xa = Math.min(xa, x); xb = Math.max(xb, x); ya = Math.min(ya, y); yb = Math.max(yb, y); }
      selected.fill(0);
      let count = 0;
      this.forRowsNear(xa, ya, xb, yb, (i) => {
        const x = this.xy[2 * i], y = this.xy[2 * i + 1];
        if (x >= xa && x <= xb && y >= ya && y <= yb && insidePolygon(x, y, poly)) { selected[i] = 1; count++; }
      });
      this.lastPolygon = poly;
      setSelectionCount(count);
      return count;
    }

    listen() {
      const c = this.canvas;
      const local = (e) => { const r = c.getBoundingClientRect(); return [e.clientX - r.left, e.clientY - r.top]; };
      let drag = null;  // {kind: "lasso" | "box" | "pan", ...}
      c.addEventListener("pointerdown", (e) => {
        if (e.button !== 0 && e.button !== 1) return;
        c.setPointerCapture(e.pointerId);
        const [px, py] = local(e);
        const mode = document.querySelector("input[name=mode]:checked").value;
        const pan = e.button === 1 || e.shiftKey || mode === "pan";
        drag = pan ? { kind: "pan", px, py, cx: this.cx, cy: this.cy } : { kind: mode, px, py };
        if (!pan) this.lasso = [[px, py]];
        c.classList.toggle("panning", pan);
        hideHover();
        e.preventDefault();
      });
      c.addEventListener("pointermove", (e) => {
        const [px, py] = local(e);
        if (drag && drag.kind === "pan") {
          this.cx = drag.cx - (px - drag.px) / this.scale;
          this.cy = drag.cy + (py - drag.py) / (this.scale * this.aspect);
          this.render();
        } else if (drag && drag.kind === "lasso") {
          const [lx, ly] = this.lasso[this.lasso.length - 1];
          if (Math.abs(px - lx) + Math.abs(py - ly) >= 1) { this.lasso.push([px, py]); this.paint(); }
        } else if (drag && drag.kind === "box") {
          // A box is a lasso through its four corners: the same selection and drawing code.
          this.lasso = [[drag.px, drag.py], [px, drag.py], [px, py], [drag.px, py]];
          this.paint();
        } else {
          showHover(this, this.nearest(px, py, 8), e.clientX, e.clientY);
        }
      });
      const finish = () => {
        if (drag && drag.kind !== "pan") {
          const poly = this.lasso.map(([x, y]) => this.toData(x, y));
          this.lasso = null;
          if (poly.length >= 3) this.selectPolygon(poly); else this.paint();
        }
        drag = null;
        c.classList.remove("panning");
      };
      c.addEventListener("pointerup", finish);
      c.addEventListener("pointercancel", finish);
      c.addEventListener("pointerleave", () => { if (!drag) hideHover(); });
      c.addEventListener("wheel", (e) => {
        e.preventDefault();
        const [px, py] = local(e);
        const [x, y] = this.toData(px, py);
        this.scale *= Math.exp(-e.deltaY * 0.0015);
        // Keep the data point under the mouse where it is.
        this.cx = x - (px - this.width / 2) / this.scale;
        this.cy = y + (py - this.height / 2) / (this.scale * this.aspect);
        this.render();
      }, { passive: false });
      c.addEventListener("dblclick", () => { this.fit(); this.render(); });
    }
  }

  // ---- Hover card -----------------------------------------------------------
  const hover = document.getElementById("hover");
  function labelName(i) { return labelIndex[i] < 0 ? "unlabelled" : classes[labelIndex[i]]; }
  function showHover(space, row, clientX, clientY) {
    if (space.hoverRow !== row) { space.hoverRow = row; space.paint(); }
    if (row < 0) { hover.hidden = true; return; }
    document.getElementById("hover-label").textContent = labelName(row) + " · row " + row;
    document.getElementById("hover-text").textContent = texts[row];
    hover.hidden = false;
    const x = Math.min(clientX + 14, window.innerWidth - hover.offsetWidth - 4);
    const y = clientY + 14 + hover.offsetHeight > window.innerHeight ? clientY - 14 - hover.offsetHeight : clientY + 14;
    hover.style.left = Math.max(0, x) + "px";
    hover.style.top = Math.max(0, y) + "px";
  }
  function hideHover() {
    hover.hidden = true;
    for (const s of spaces) if (s.hoverRow >= 0) { s.hoverRow = -1; s.paint(); }
  }

  // ---- Selection list, legend, labelling -------------------------------------
  const listLimit = 500;
  function setSelectionCount(count) {
    selectedCount = count;
    renderAll();
    updateList();
  }
  function updateList() {
    const query = document.getElementById("search").value.trim().toLowerCase();
    const list = document.getElementById("selected");
    const items = [];
    let matches = 0;
    for (let i = 0; i < n; i++) {
      if (!selected[i]) continue;
      if (query && !texts[i].toLowerCase().includes(query) && !labelName(i).toLowerCase().includes(query)) continue;
      if (++matches > listLimit) continue;
      const li = document.createElement("li");
      li.value = i;  // the list numbers rows as in the data
      const tag = document.createElement("span");
      tag.className = "tag";
      tag.style.background = cssOf(labelIndex[i]);
      tag.textContent = labelName(i);
      li.append(tag, document.createTextNode(texts[i]));
      items.push(li);
    }
    list.replaceChildren(...items);
    document.getElementById("selection-count").textContent = selectedCount === 0 ? "No selection"
      : selectedCount + " selected" + (query ? ", " + matches + " match the search" : "") +
        (matches > listLimit ? " (first " + listLimit + " listed)" : "");
  }
  function updateLegend() {
    const counts = new Int32Array(classes.length + 1);
    for (let i = 0; i < n; i++) counts[labelIndex[i] + 1]++;
    const entries = [];
    for (let k = -1; k < classes.length; k++) {
      if (k >= 0 && counts[k + 1] === 0) continue;
      const entry = document.createElement("span");
      entry.title = "Click to select these rows";
      entry.style.cursor = "pointer";
      const swatch = document.createElement("span");
      swatch.className = "swatch";
      swatch.style.background = cssOf(k);
      entry.append(swatch, document.createTextNode((k < 0 ? "unlabelled" : classes[k]) + " (" + counts[k + 1] + ")"));
      entry.addEventListener("click", () => {
        let count = 0;
        for (let i = 0; i < n; i++) { selected[i] = labelIndex[i] === k ? 1 : 0; count += selected[i]; }
        setSelectionCount(count);
      });
      entries.push(entry);
    }
    document.getElementById("legend").replaceChildren(...entries);
    document.getElementById("known-labels").replaceChildren(...classes.map((c) => {
      const o = document.createElement("option"); o.value = c; return o;
    }));
  }
  // Gives every selected row `label` ("" removes their label); returns how many rows changed hands.
  function assign(label) {
    label = String(label).trim();
    let k = -1;
    if (label !== "") {
      k = classes.indexOf(label);
      if (k < 0) { classes.push(label); k = classes.length - 1; }
    }
    let count = 0;
    for (let i = 0; i < n; i++) if (selected[i]) { labelIndex[i] = k; count++; }
    updateLegend();
    renderAll();
    updateList();
    return count;
  }

  // ---- Downloads: every row, with "" for the unlabelled ones -----------------
  function labelsJsonl() {
    const lines = new Array(n);
    for (let i = 0; i < n; i++) {
      lines[i] = JSON.stringify({ text: texts[i], label: labelIndex[i] < 0 ? "" : classes[labelIndex[i]], row: i });
    }
    return lines.join("\n") + "\n";
  }
  function labelsCsv() {
    const quote = (s) => '"' + s.replace(/"/g, '""') + '"';
    const lines = ["text,label,row"];
    for (let i = 0; i < n; i++) lines.push(quote(texts[i]) + "," + quote(labelIndex[i] < 0 ? "" : classes[labelIndex[i]]) + "," + i);
    return lines.join("\r\n") + "\r\n";
  }
  function download(name, type, content) {
    const url = URL.createObjectURL(new Blob([content], { type }));
    const a = document.createElement("a");
    a.href = url;
    a.download = name;
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  }

  // ---- Start -----------------------------------------------------------------
  document.getElementById("title").textContent = data.title;
  document.getElementById("summary").textContent = n + " texts · " + data.spaces.length + " spaces";
  const spaces = data.spaces.map((s, k) => new Space(k, s.name, decodeFloat32(s.xy)));
  function renderAll() { for (const s of spaces) s.render(); }
  for (const s of spaces) { s.resize(); s.fit(); }
  updateLegend();
  renderAll();
  const firstDrawMs = performance.now();  // since navigation start
  updateList();

  window.addEventListener("resize", () => { for (const s of spaces) { s.resize(); s.fit(); } renderAll(); });
  document.getElementById("search").addEventListener("input", updateList);
  document.getElementById("assign").addEventListener("click", () => assign(document.getElementById("label").value));
  document.getElementById("label").addEventListener("keydown", (e) => { if (e.key === "Enter") assign(e.target.value); });
  document.getElementById("clear").addEventListener("click", () => { selected.fill(0); setSelectionCount(0); });
  document.getElementById("download-jsonl").addEventListener("click",
    () => download("labels.jsonl", "application/x-ndjson", labelsJsonl()));
  document.getElementById("download-csv").addEventListener("click", () => download("labels.csv", "text/csv", labelsCsv()));

  // A small hook for tests and scripts; the mouse drives the same functions.
  const spaceOf = (s) => (typeof s === "number" ? spaces[s] : spaces.find((x) => x.name === s));
  window.embetterExplorer = {
    rows: n,
    spaces: spaces.map((s) => s.name),
    firstDrawMs,
    drawnPoints: (s) => spaceOf(s).drawn,
    // Where a row is drawn, in CSS pixels from the canvas's top-left corner.
    screenPoint: (s, row) => spaceOf(s).toScreen(spaceOf(s).xy[2 * row], spaceOf(s).xy[2 * row + 1]),
    screenPoints: (s) => { const sp = spaceOf(s); const out = []; for (let i = 0; i < n; i++) out.push(sp.toScreen(sp.xy[2 * i], sp.xy[2 * i + 1])); return out; },
    // [[x, y], ...] in data coordinates; returns the number of rows selected.
    selectPolygon: (s, poly) => spaceOf(s).selectPolygon(poly),
    lastPolygon: (s) => spaceOf(s).lastPolygon,
    selection: () => { const out = []; for (let i = 0; i < n; i++) if (selected[i]) out.push(i); return out; },
    hoverText: () => (hover.hidden ? null : document.getElementById("hover-text").textContent),
    assign,
    labelsJsonl,
    labelsCsv,
  };
})();
