// The search page of `search serve`: results as you type, facets, pages and
// each document's full text, all kept in the address so a search can be
// shared and reloads to the same results. One file, with no build step and
// no library, so that the page works offline from the installed package alone.
//
// Everything the server sends (titles, text, sources, notes, even error
// messages) comes from indexed documents or from what someone typed, so it is
// only ever put in the page as text nodes (textContent, createTextNode) and
// <mark> elements made here: never as markup. The server's Content-Security-
// Policy forbids inline scripts and styles as a second line of defence.
"use strict";

(function () {
  const PAGE_SIZE = 10;
  const TYPING_PAUSE_MS = 250; // search once the typist pauses, not at every key
  const FACETS = "year,source";
  const MONTHS = ["janvier", "février", "mars", "avril", "mai", "juin", "juillet",
    "août", "septembre", "octobre", "novembre", "décembre"];

  const form = document.getElementById("search-form");
  const input = document.getElementById("q");
  const errorBox = document.getElementById("error");
  const searchView = document.getElementById("search-view");
  const statusLine = document.getElementById("status");
  const suggestionLine = document.getElementById("suggestion");
  const notesList = document.getElementById("notes");
  const facetsNav = document.getElementById("facets");
  const resultsColumn = document.getElementById("resultats");
  const resultsList = document.getElementById("results");
  const pager = document.getElementById("pager");
  const documentView = document.getElementById("document");

  // The query's words in each listed hit, as offsets into its document's
  // text, handed to the document view through the history entry's state
  // (which a reload keeps; a shared link shows the passage without them).
  const wordsOfLink = new WeakMap();

  let typingTimer = 0;
  let inFlight = null; // the AbortController of the request being answered
  let generation = 0; // answers to superseded requests are dropped

  // ---- the address ----------------------------------------------------

  function readAddress() {
    const params = new URLSearchParams(window.location.search);
    const offset = parseInt(params.get("offset") || "0", 10);
    const passage = parseInt(params.get("passage") || "", 10);
    return {
      q: params.get("q") || "",
      offset: Number.isFinite(offset) && offset > 0 ? offset : 0,
      year: /^\d{4}$/.test(params.get("year") || "") ? params.get("year") : "",
      source: params.get("source") || "",
      doc: params.get("doc") || "",
      passage: Number.isFinite(passage) && passage >= 0 ? passage : null,
    };
  }

  function addressOf(state) {
    const params = new URLSearchParams();
    if (state.doc) {
      params.set("doc", state.doc);
      if (state.passage !== null && state.passage !== undefined) params.set("passage", String(state.passage));
    }
    if (state.q) params.set("q", state.q);
    if (state.offset) params.set("offset", String(state.offset));
    if (state.year) params.set("year", state.year);
    if (state.source) params.set("source", state.source);
    const query = params.toString();
    return query ? "/?" + query : "/";
  }

  function searchState(changes) {
    const current = readAddress();
    return Object.assign({ q: current.q, offset: 0, year: current.year, source: current.source, doc: "", passage: null },
      changes);
  }

  function go(state, how) {
    const address = addressOf(state);
    if (address !== window.location.pathname + window.location.search) {
      if (how === "replace") window.history.replaceState(null, "", address);
      else window.history.pushState(null, "", address);
    }
    show(state);
  }

  // ---- small DOM helpers ----------------------------------------------

  function element(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function link(state, text, className) {
    const anchor = element("a", className, text);
    anchor.href = addressOf(state);
    anchor.dataset.nav = "";
    return anchor;
  }

  function clear(node) {
    while (node.firstChild) node.removeChild(node.firstChild);
  }

  function plural(count, one, many) {
    return count.toLocaleString("fr-FR") + " " + (count > 1 ? many : one);
  }

  function frenchDate(value) {
    const match = /^(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?/.exec(value || "");
    if (!match) return value || "";
    const month = match[2] ? MONTHS[parseInt(match[2], 10) - 1] : "";
    if (match[3]) return parseInt(match[3], 10) + (match[3] === "01" ? "er" : "") + " " + month + " " + match[1];
    if (month) return month + " " + match[1];
    return match[1];
  }

  function showError(message) {
    clear(errorBox);
    if (message) errorBox.appendChild(element("p", null, message));
  }

  async function fetchJson(url, signal) {
    let response;
    try {
      response = await fetch(url, { signal: signal, headers: { Accept: "application/json" } });
    } catch (error) {
      if (error && error.name === "AbortError") throw error;
      throw new Error("Le service de recherche ne répond pas ; vérifiez qu’il tourne, puis réessayez.");
    }
    let body = null;
    try {
      body = await response.json();
    } catch (error) {
      body = null;
    }
    if (!response.ok) {
      const detail = body && body.error && typeof body.error.message === "string" ? body.error.message : "";
      const failure = new Error("Erreur " + response.status + (detail ? " : " + detail : " du service de recherche."));
      failure.status = response.status;
      throw failure;
    }
    if (body === null || typeof body !== "object") {
      throw new Error("Réponse illisible du service de recherche (HTTP " + response.status + ").");
    }
    return body;
  }

  // ---- searching --------------------------------------------------------

  function searchUrl(state) {
    const params = new URLSearchParams({ q: state.q, limit: String(PAGE_SIZE), offset: String(state.offset),
      facets: FACETS, format: "text" });
    // The bare year on both sides: the library reads "2019" as the whole
    // year, and a passage dated with its year alone ("2019") is then kept,
    // as the year facet counted it; 2019-01-01..2019-12-31 would drop it.
    if (state.year) {
      params.set("after", state.year);
      params.set("before", state.year);
    }
    if (state.source) params.set("source", state.source);
    return "/search?" + params.toString();
  }

  function startRequest() {
    if (inFlight) inFlight.abort();
    inFlight = new AbortController();
    generation += 1;
    return { controller: inFlight, generation: generation };
  }

  async function runSearch(state) {
    const request = startRequest();
    resultsColumn.setAttribute("aria-busy", "true");
    try {
      const answer = await fetchJson(searchUrl(state), request.controller.signal);
      if (request.generation !== generation) return;
      showError("");
      renderResults(state, answer);
    } catch (error) {
      if (error && error.name === "AbortError") return;
      if (request.generation !== generation) return;
      showError(error.message);
      statusLine.textContent = "";
      clear(resultsList);
      pager.hidden = true;
      facetsNav.hidden = true;
    } finally {
      if (request.generation === generation) resultsColumn.removeAttribute("aria-busy");
    }
  }

  function emptySearch() {
    if (inFlight) inFlight.abort();
    generation += 1;
    showError("");
    statusLine.textContent = "";
    suggestionLine.hidden = true;
    notesList.hidden = true;
    facetsNav.hidden = true;
    pager.hidden = true;
    clear(resultsList);
    resultsColumn.removeAttribute("aria-busy");
  }

  // The snippet as the server cuts it (its snippet_window of the passage's
  // text, white space collapsed, "…" where cut), with each highlight inside
  // the window made a <mark>, all from text nodes.
  function snippetOf(hit) {
    const paragraph = element("p", "snippet");
    const text = typeof hit.text === "string" ? hit.text : "";
    const windowSpan = Array.isArray(hit.snippet_window) && hit.snippet_window.length === 2 ? hit.snippet_window : [0, text.length];
    const left = Math.max(0, windowSpan[0]);
    const right = Math.min(text.length, windowSpan[1] > left ? windowSpan[1] : text.length);
    const spans = (Array.isArray(hit.highlights) ? hit.highlights : [])
      .filter((span) => Array.isArray(span) && span[0] >= left && span[1] <= right && span[0] < span[1])
      .sort((a, b) => a[0] - b[0]);
    const squeeze = (piece) => piece.replace(/\s+/g, " ");
    const pieces = [];
    if (left > 0) pieces.push({ text: "…" });
    let cursor = left;
    for (const span of spans) {
      if (span[0] < cursor) continue; // overlapping spans: keep the first
      pieces.push({ text: squeeze(text.slice(cursor, span[0])) });
      pieces.push({ text: squeeze(text.slice(span[0], span[1])), mark: true });
      cursor = span[1];
    }
    pieces.push({ text: squeeze(text.slice(cursor, right)) });
    if (right < text.length) pieces.push({ text: "…" });
    // Trim the outer white space as the server does.
    if (pieces.length) {
      pieces[0].text = pieces[0].text.replace(/^\s+/, "");
      pieces[pieces.length - 1].text = pieces[pieces.length - 1].text.replace(/\s+$/, "");
    }
    for (const piece of pieces) {
      if (!piece.text) continue;
      paragraph.appendChild(piece.mark ? element("mark", null, piece.text) : document.createTextNode(piece.text));
    }
    return paragraph;
  }

  // A hit of the same document as the hit above it (a long article often
  // has several passages in a row) is shown as a further passage of it,
  // without its title, date and source again.
  function renderHit(state, hit, continues) {
    const item = element("li", continues ? "hit hit-more" : "hit");
    const title = hit.title || hit.doc_id;
    const target = { doc: String(hit.doc_id), passage: hit.passage, q: state.q, offset: state.offset,
      year: state.year, source: state.source };
    let opening;
    if (continues) {
      opening = link(target, "Autre passage", "hit-link");
      opening.appendChild(element("span", "visually-hidden", " de « " + title + " »"));
      const line = element("p", "hit-title");
      line.appendChild(opening);
      line.appendChild(element("span", "passage", "passage " + hit.passage));
      item.appendChild(line);
    } else {
      opening = link(target, title, "hit-link");
      const heading = element("h2", "hit-title");
      heading.appendChild(opening);
      item.appendChild(heading);
    }
    const start = Number(hit.start) || 0;
    wordsOfLink.set(opening, (Array.isArray(hit.highlights) ? hit.highlights : [])
      .filter((span) => Array.isArray(span) && span.length === 2)
      .map((span) => [span[0] + start, span[1] + start]));

    if (!continues) {
      item.appendChild(metaLine(hit.date, hit.source, element("span", "passage", "passage " + hit.passage)));
    }
    item.appendChild(snippetOf(hit));
    if (Array.isArray(hit.duplicates) && hit.duplicates.length) {
      item.appendChild(element("p", "duplicates", "Même texte aussi dans : " + hit.duplicates.join(", ")));
    }
    return item;
  }

  function renderFacetGroup(state, name, heading, counts) {
    // Most passages first, then by value, as the API orders them: the order
    // of a parsed JSON object cannot be trusted, since JavaScript puts keys
    // that look like numbers (years) first, in ascending order.
    const values = Object.keys(counts || {}).sort((a, b) => (counts[b] - counts[a]) || (a < b ? -1 : a > b ? 1 : 0));
    const active = state[name];
    if (!values.length && !active) return null;
    const group = element("section", "facet");
    const title = element("h2", null, heading);
    group.appendChild(title);
    const list = element("ul");
    if (active && !values.includes(active)) values.unshift(active);
    for (const value of values) {
      const entry = element("li");
      const chosen = value === active;
      const change = {};
      change[name] = chosen ? "" : value; // clicking the chosen value lifts the filter
      const anchor = link(searchState(Object.assign({ q: state.q }, change)), null, "facet-link");
      anchor.appendChild(element("span", "facet-value", value));
      if (counts && counts[value] !== undefined) anchor.appendChild(element("span", "count", counts[value]));
      if (chosen) {
        anchor.setAttribute("aria-current", "true");
        anchor.appendChild(element("span", "visually-hidden", " (filtre actif : cliquer pour le retirer)"));
        anchor.appendChild(element("span", "remove", "×"));
        anchor.lastChild.setAttribute("aria-hidden", "true");
      }
      entry.appendChild(anchor);
      list.appendChild(entry);
    }
    group.appendChild(list);
    return group;
  }

  function renderResults(state, answer) {
    const total = Number(answer.total) || 0;
    const hits = Array.isArray(answer.results) ? answer.results : [];
    const offset = Number(answer.offset) || 0;

    if (total === 0) {
      statusLine.textContent = "Aucun passage ne correspond à « " + state.q + " »" +
        (state.year || state.source ? " avec ces filtres." : ".");
    } else if (hits.length === 0) {
      statusLine.textContent = plural(total, "passage trouvé", "passages trouvés") + " ; cette page est au-delà du dernier.";
    } else {
      statusLine.textContent = plural(total, "passage trouvé", "passages trouvés") + ", résultats " +
        (offset + 1) + " à " + (offset + hits.length) + ".";
    }

    clear(suggestionLine);
    if (typeof answer.suggestion === "string" && answer.suggestion && answer.suggestion !== state.q) {
      suggestionLine.appendChild(document.createTextNode("Vouliez-vous dire : "));
      suggestionLine.appendChild(link(searchState({ q: answer.suggestion }), answer.suggestion, "suggestion-link"));
      suggestionLine.appendChild(document.createTextNode(" ?"));
      suggestionLine.hidden = false;
    } else {
      suggestionLine.hidden = true;
    }

    clear(notesList);
    const notes = Array.isArray(answer.notes) ? answer.notes : [];
    for (const note of notes) notesList.appendChild(element("li", null, note));
    notesList.hidden = notes.length === 0;

    clear(facetsNav);
    const facets = answer.facets && typeof answer.facets === "object" ? answer.facets : {};
    const groups = [renderFacetGroup(state, "year", "Année", facets.year),
      renderFacetGroup(state, "source", "Source", facets.source)].filter(Boolean);
    for (const group of groups) facetsNav.appendChild(group);
    facetsNav.hidden = groups.length === 0;

    clear(resultsList);
    resultsList.start = offset + 1;
    let previous = null;
    for (const hit of hits) {
      resultsList.appendChild(renderHit(state, hit, previous !== null && String(hit.doc_id) === previous));
      previous = String(hit.doc_id);
    }

    clear(pager);
    const pages = Math.ceil(total / PAGE_SIZE);
    if (pages > 1) {
      const page = Math.floor(offset / PAGE_SIZE) + 1;
      if (offset > 0) {
        pager.appendChild(link(searchState({ q: state.q, offset: Math.max(0, offset - PAGE_SIZE) }), "← Précédents", "previous"));
      }
      pager.appendChild(element("span", "page", "Page " + page + " sur " + pages));
      if (offset + PAGE_SIZE < total) {
        pager.appendChild(link(searchState({ q: state.q, offset: offset + PAGE_SIZE }), "Suivants →", "next"));
      }
      pager.hidden = false;
    } else {
      pager.hidden = true;
    }
  }

  // ---- a document's full text -------------------------------------------

  // The text between stored passages is blank space of the length of what was
  // left out (furniture, front matter); it is shown as a paragraph break
  // when it spans lines and as one space otherwise.
  function gap(text) {
    if (!text) return "";
    return /\n/.test(text) ? "\n\n" : " ";
  }

  function tidy(text) {
    return text.replace(/[ \t]*\n[ \t]*\n\s*/g, "\n\n");
  }

  function wordsToShow() {
    const saved = window.history.state;
    return saved && Array.isArray(saved.words) ? saved.words.filter((span) =>
      Array.isArray(span) && Number.isInteger(span[0]) && Number.isInteger(span[1]) && span[0] < span[1]) : [];
  }

  // text[from:to] into parent, the spans inside it as <strong> marks.
  function appendWords(parent, text, from, to, spans) {
    let cursor = from;
    const inside = spans.filter((span) => span[0] >= from && span[1] <= to).sort((a, b) => a[0] - b[0]);
    for (const span of inside) {
      if (span[0] < cursor) continue;
      if (span[0] > cursor) parent.appendChild(document.createTextNode(tidy(text.slice(cursor, span[0]))));
      parent.appendChild(element("strong", "word", text.slice(span[0], span[1])));
      cursor = span[1];
    }
    if (to > cursor) parent.appendChild(document.createTextNode(tidy(text.slice(cursor, to))));
  }

  async function showDocument(state) {
    const request = startRequest();
    searchView.hidden = true;
    documentView.hidden = false;
    clear(documentView);
    documentView.setAttribute("aria-busy", "true");
    let doc;
    try {
      doc = await fetchJson("/documents/" + encodeURIComponent(state.doc), request.controller.signal);
    } catch (error) {
      if (error && error.name === "AbortError") return;
      if (request.generation !== generation) return;
      documentView.removeAttribute("aria-busy");
      documentView.appendChild(backLink(state));
      showError(error.status === 404 ? "Document introuvable : « " + state.doc + " »." : error.message);
      return;
    }
    if (request.generation !== generation) return;
    showError("");
    documentView.removeAttribute("aria-busy");
    renderDocument(state, doc);
  }

  function backLink(state) {
    const back = link(state.q ? searchState({ q: state.q, offset: state.offset }) : { q: "" },
      state.q ? "← Retour aux résultats" : "← Nouvelle recherche", "back");
    const paragraph = element("p", "back-line");
    paragraph.appendChild(back);
    return paragraph;
  }

  // The line under a hit's or a document's title: its date, its source,
  // then what names the passage or the document.
  function metaLine(date, source, last) {
    const meta = element("p", "meta");
    if (date) {
      const time = element("time", null, frenchDate(date));
      time.setAttribute("datetime", String(date));
      meta.appendChild(time);
    }
    if (source) meta.appendChild(element("span", "source", source));
    meta.appendChild(last);
    return meta;
  }

  function renderDocument(state, doc) {
    const text = typeof doc.text === "string" ? doc.text : "";
    documentView.appendChild(backLink(state));
    const heading = element("h1", null, doc.title || doc.id || state.doc);
    heading.id = "document-title";
    documentView.appendChild(heading);
    document.title = (doc.title || doc.id || state.doc) + " · searchlib";

    documentView.appendChild(metaLine(doc.date, doc.source, element("span", "doc-id", doc.id || state.doc)));

    const body = element("div", "document-text");
    const passages = (Array.isArray(doc.passages) ? doc.passages : [])
      .filter((p) => p && Number.isInteger(p.start) && Number.isInteger(p.end) && p.start <= p.end)
      .sort((a, b) => a.start - b.start);
    let target = null;
    let cursor = 0;
    if (!passages.length) body.appendChild(document.createTextNode(tidy(text.trim())));
    for (const passage of passages) {
      if (passage.start < cursor) continue;
      const between = cursor === 0 ? "" : gap(text.slice(cursor, passage.start));
      if (between) body.appendChild(document.createTextNode(between));
      const chosen = passage.number === state.passage;
      const part = element(chosen ? "mark" : "span", chosen ? "passage passage-found" : "passage");
      appendWords(part, text, passage.start, passage.end, chosen ? wordsToShow() : []);
      part.id = "passage-" + passage.number;
      if (chosen) {
        part.tabIndex = -1;
        target = part;
      }
      body.appendChild(part);
      cursor = passage.end;
    }
    documentView.appendChild(body);

    if (state.passage !== null && !target) {
      const missing = element("p", "note", "Ce document n’a pas de passage " + state.passage + ".");
      documentView.insertBefore(missing, body);
    }
    if (target) {
      const label = element("p", "passage-label", "Le passage trouvé est surligné ci-dessous.");
      documentView.insertBefore(label, body);
      target.scrollIntoView({ block: "center" });
      target.focus({ preventScroll: true });
    } else {
      documentView.focus({ preventScroll: true });
      window.scrollTo(0, 0);
    }
  }

  // ---- showing a state ----------------------------------------------------

  function show(state) {
    window.clearTimeout(typingTimer);
    if (document.activeElement !== input && input.value !== state.q) input.value = state.q;
    if (state.doc) {
      showDocument(state);
      return;
    }
    documentView.hidden = true;
    searchView.hidden = false;
    document.title = state.q ? state.q + " · Recherche · searchlib" : "Recherche · searchlib";
    if (!state.q.trim()) {
      emptySearch();
      return;
    }
    runSearch(state);
  }

  // ---- events ---------------------------------------------------------------

  input.addEventListener("input", function () {
    window.clearTimeout(typingTimer);
    typingTimer = window.setTimeout(function () {
      // Typing refines the current search in place; leaving a document for a
      // new search is a step the back button can undo.
      const how = readAddress().doc ? "push" : "replace";
      go(searchState({ q: input.value }), how);
    }, TYPING_PAUSE_MS);
  });

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    window.clearTimeout(typingTimer);
    go(searchState({ q: input.value }), "push");
  });

  document.addEventListener("click", function (event) {
    if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    const anchor = event.target instanceof Element ? event.target.closest("a[data-nav]") : null;
    if (!anchor) return;
    const url = new URL(anchor.href);
    if (url.origin !== window.location.origin) return;
    event.preventDefault();
    const words = wordsOfLink.get(anchor);
    window.history.pushState(words ? { words: words } : null, "", url.pathname + url.search);
    const state = readAddress();
    show(state);
    if (state.doc) return;
    if (anchor.classList.contains("suggestion-link")) input.value = state.q;
    if (anchor.closest("#pager") || anchor.closest("#facets")) resultsColumn.focus({ preventScroll: false });
  });

  window.addEventListener("popstate", function () {
    const state = readAddress();
    input.value = state.q;
    show(state);
  });

  function hitLinks() {
    return Array.prototype.slice.call(resultsList.querySelectorAll("a.hit-link"));
  }

  function isTyping(target) {
    return target instanceof HTMLElement &&
      (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName));
  }

  document.addEventListener("keydown", function (event) {
    if (event.altKey || event.ctrlKey || event.metaKey) return;
    if (event.key === "/" && !isTyping(event.target)) {
      event.preventDefault();
      input.focus();
      input.select();
      return;
    }
    if (event.key !== "ArrowDown" && event.key !== "ArrowUp") return;
    if (searchView.hidden) return;
    const links = hitLinks();
    if (!links.length) return;
    const index = links.indexOf(document.activeElement);
    if (event.target === input) {
      if (event.key !== "ArrowDown") return;
      event.preventDefault();
      links[0].focus();
      return;
    }
    if (index < 0) {
      // After a page or a filter, focus rests on the results: ↓ enters them.
      if (event.target === resultsColumn && event.key === "ArrowDown") {
        event.preventDefault();
        links[0].focus();
      }
      return;
    }
    event.preventDefault();
    if (event.key === "ArrowDown") {
      links[Math.min(links.length - 1, index + 1)].focus();
    } else if (index === 0) {
      input.focus();
    } else {
      links[index - 1].focus();
    }
  });

  const initial = readAddress();
  input.value = initial.q;
  show(initial);
  if (!initial.doc) input.focus();
})();
