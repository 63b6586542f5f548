// The lineage graph: pan by dragging, zoom with the wheel, hover a node to light up its
// edges. The server already laid everything out, so this only moves the viewBox and toggles
// classes; it marks `graph-ready` once the graph answers input (time to interactive).
(function () {
  "use strict";
  const svg = document.getElementById("lineage-svg");
  if (!svg) return;
  const box = svg.viewBox.baseVal;
  const full = { x: box.x, y: box.y, w: box.width, h: box.height };
  // A percentage width lets Chromium size the SVG from its viewBox's aspect instead of its
  // box (the width then changes with every zoom): pin it to the container in pixels.
  const fitWidth = () => svg.setAttribute("width", String(svg.parentElement.clientWidth));
  fitWidth();
  window.addEventListener("resize", fitWidth);
  const size = () => svg.getBoundingClientRect();
  // Start readable: the whole graph when labels stay legible (55 % scale or more), else the
  // focus at 80 %.
  const focus = svg.querySelector(".n.focus");
  const view = size();
  const readable = { w: view.width / 0.8, h: view.height / 0.8 };
  const fits = view.width / full.w >= 0.55 && view.height / full.h >= 0.55;
  if (focus && !fits) {
    const t = focus.transform.baseVal.consolidate().matrix;
    setBox(t.e + 105 - readable.w / 2, t.f + 17 - readable.h / 2, readable.w, readable.h);
  }

  function setBox(x, y, w, h) {
    box.x = x; box.y = y; box.width = w; box.height = h;
    svg.classList.toggle("far", w > 3000);
  }

  let drag = null;
  svg.addEventListener("pointerdown", (e) => {
    if (e.button !== 0) return;
    drag = { x: e.clientX, y: e.clientY, bx: box.x, by: box.y, moved: false };
  });
  window.addEventListener("pointermove", (e) => {
    if (!drag) return;
    const scale = box.width / size().width;
    const dx = e.clientX - drag.x, dy = e.clientY - drag.y;
    if (Math.abs(dx) + Math.abs(dy) > 3) drag.moved = true;
    setBox(drag.bx - dx * scale, drag.by - dy * scale, box.width, box.height);
  });
  window.addEventListener("pointerup", () => { setTimeout(() => { drag = null; }, 0); });
  // A drag that ends on a node is not a click on it.
  svg.addEventListener("click", (e) => { if (drag && drag.moved) e.preventDefault(); }, true);

  svg.addEventListener("wheel", (e) => {
    e.preventDefault();
    const rect = svg.getBoundingClientRect();
    const px = box.x + (e.clientX - rect.left) / rect.width * box.width;
    const py = box.y + (e.clientY - rect.top) / rect.height * box.height;
    const k = Math.exp(e.deltaY * 0.0015);
    const w = Math.min(Math.max(box.width * k, 200), Math.max(full.w, full.h) * 2);
    const h = box.height * (w / box.width);
    setBox(px - (px - box.x) * (w / box.width), py - (py - box.y) * (h / box.height), w, h);
  }, { passive: false });

  // Edges by node, built once: hovering stays cheap with thousands of edges.
  const byNode = new Map();
  for (const path of svg.querySelectorAll(".edges path")) {
    for (const end of [path.dataset.from, path.dataset.to]) {
      if (!byNode.has(end)) byNode.set(end, []);
      byNode.get(end).push(path);
    }
  }
  let lit = [];
  svg.addEventListener("pointerover", (e) => {
    const node = e.target.closest(".n");
    for (const p of lit) p.classList.remove("lit");
    lit = node ? (byNode.get(node.dataset.i) || []) : [];
    for (const p of lit) p.classList.add("lit");
  });

  document.body.dataset.graphReady = "1";
  performance.mark("graph-ready");
})();
