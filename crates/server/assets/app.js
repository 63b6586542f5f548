// Search as you type: asks /api/search and lists matches under the box. Results are built with
// textContent, never innerHTML, so names and descriptions from dbt cannot inject markup.
(function () {
  "use strict";
  const input = document.getElementById("search");
  const list = document.getElementById("search-results");
  if (!input || !list) return;
  let timer = null;
  let seq = 0;
  let active = -1;

  function segment(name) {
    return name === "" ? "~" : encodeURIComponent(name);
  }

  function tableUrl(h) {
    return "/connections/" + segment(h.connection) + "/tables/" + segment(h.database) + "/" +
      segment(h.schema) + "/" + segment(h.table);
  }

  function render(hits) {
    list.replaceChildren();
    active = -1;
    if (hits.length === 0) {
      const li = document.createElement("li");
      li.className = "none";
      li.textContent = "No matches";
      list.appendChild(li);
    }
    for (const h of hits) {
      const li = document.createElement("li");
      const a = document.createElement("a");
      a.href = tableUrl(h);
      const kind = document.createElement("span");
      kind.className = "node " + h.hit;
      kind.textContent = h.hit;
      a.appendChild(kind);
      a.appendChild(document.createTextNode(" " + (h.column ? h.table + "." + h.column : h.table)));
      const sub = document.createElement("span");
      sub.className = "sub";
      sub.textContent = h.connection + " · " + h.schema + " · " + h.node_kind +
        (h.description ? " — " + h.description : "");
      a.appendChild(sub);
      li.appendChild(a);
      list.appendChild(li);
    }
    list.hidden = false;
  }

  async function lookup() {
    const q = input.value.trim();
    const mine = ++seq;
    if (q === "") {
      list.hidden = true;
      return;
    }
    try {
      const res = await fetch("/api/search?limit=12&q=" + encodeURIComponent(q));
      if (!res.ok || mine !== seq) return;
      render(await res.json());
    } catch (_) {
      // The form still submits to /search without this.
    }
  }

  function move(step) {
    const links = list.querySelectorAll("a");
    if (links.length === 0) return;
    if (active >= 0) links[active].classList.remove("active");
    active = (active + step + links.length) % links.length;
    links[active].classList.add("active");
    links[active].scrollIntoView({ block: "nearest" });
  }

  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(lookup, 120);
  });
  input.addEventListener("keydown", function (e) {
    if (e.key === "ArrowDown") { e.preventDefault(); move(1); }
    else if (e.key === "ArrowUp") { e.preventDefault(); move(-1); }
    else if (e.key === "Escape") { list.hidden = true; }
    else if (e.key === "Enter" && active >= 0) {
      e.preventDefault();
      list.querySelectorAll("a")[active].click();
    }
  });
  document.addEventListener("click", function (e) {
    if (!list.contains(e.target) && e.target !== input) list.hidden = true;
  });
})();
