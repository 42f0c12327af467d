// Small behaviours shared by every page. No framework: Bootstrap and htmx are loaded before this.
(function () {
  "use strict";
  // The language switch submits as soon as a language is picked.
  document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
    select.addEventListener("change", function () { select.form.submit(); });
  });
  // A long select (entities, signatures: filing_portal/choices.py marks them) becomes a searchable choice
  // (Tom Select, served by the portal). Short ones stay native selects. The native select keeps its
  // value and its change events, so the live checks below see every choice.
  var SEARCHABLE_FROM = 20;
  if (window.TomSelect) {
    document.querySelectorAll("select[data-searchable]").forEach(function (select) {
      if (select.options.length <= SEARCHABLE_FROM) { return; }
      new window.TomSelect(select, { maxOptions: null, allowEmptyOption: true, create: false });
    });
  }
  // A form marked data-confirm asks first (removing a member, for instance).
  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.dataset.confirm)) { event.preventDefault(); event.stopImmediatePropagation(); }
    });
  });
  // A form marked data-once disables its buttons on submit, so a double click posts once.
  document.querySelectorAll("form[data-once]").forEach(function (form) {
    form.addEventListener("submit", function () {
      window.setTimeout(function () {
        form.querySelectorAll("[type=submit]").forEach(function (b) { b.disabled = true; });
      }, 0);
    });
  });

  // Live checks while typing: the server runs the same check the form will (compliance.validators).
  document.querySelectorAll("[data-check-url]").forEach(function (box) {
    var url = box.dataset.checkUrl;
    box.querySelectorAll("input[data-check]").forEach(function (input) {
      var timer = null;
      var feedback = document.createElement("div");
      feedback.className = "invalid-feedback live-check";
      input.insertAdjacentElement("afterend", feedback);
      input.addEventListener("input", function () {
        window.clearTimeout(timer);
        timer = window.setTimeout(function () {
          if (!input.value) { input.classList.remove("is-invalid", "is-valid"); return; }
          var params = new URLSearchParams({ field: input.dataset.check, value: input.value });
          if (input.dataset.check === "id_number") {
            var typeField = input.form && input.form.querySelector("[name=" + input.name.replace("_number", "_type") + "]");
            if (typeField) { params.set("id_type", typeField.value); }
          }
          // POST: ID numbers stay out of URLs and so out of access logs.
          var token = input.form.querySelector("[name=csrfmiddlewaretoken]").value;
          fetch(url, { method: "POST", body: params, credentials: "same-origin",
                       headers: { "Accept": "application/json", "X-CSRFToken": token } })
            .then(function (r) { return r.json(); })
            .then(function (data) {
              input.classList.toggle("is-invalid", !data.ok);
              input.classList.toggle("is-valid", data.ok);
              feedback.textContent = data.message;
            });
        }, 300);
      });
    });
  });

  // Uploads: drop a file on an item or choose one; a preview, then a progress bar while it goes up.
  document.querySelectorAll("form[data-upload]").forEach(function (form) {
    var input = form.querySelector("input[type=file]");
    var bar = form.querySelector(".progress");
    var errors = form.querySelector(".upload-errors");
    var zone = form.closest("li") || form;
    ["dragenter", "dragover"].forEach(function (name) {
      zone.addEventListener(name, function (e) { e.preventDefault(); form.classList.add("dragover"); });
    });
    ["dragleave", "drop"].forEach(function (name) {
      zone.addEventListener(name, function (e) { e.preventDefault(); form.classList.remove("dragover"); });
    });
    zone.addEventListener("drop", function (e) {
      if (e.dataTransfer && e.dataTransfer.files.length) { input.files = e.dataTransfer.files; send(); }
    });
    input.addEventListener("change", function () {
      var file = input.files[0];
      var old = form.querySelector(".local-preview");
      if (old) { old.remove(); }
      if (file && file.type.indexOf("image/") === 0) {
        var img = document.createElement("img");
        img.className = "local-preview border rounded doc-preview mt-1";
        img.alt = "";
        img.src = URL.createObjectURL(file);
        form.appendChild(img);
      }
    });
    form.addEventListener("submit", function (e) { e.preventDefault(); send(); });

    function fail(messages) {
      bar.classList.add("d-none");
      input.classList.add("is-invalid");
      errors.textContent = messages.join(" ");
      var local = form.querySelector(".local-preview");
      if (local) { local.remove(); }  // a refused file must not look accepted
    }
    function send() {
      if (!input.files.length) { return; }
      var max = parseInt(form.dataset.maxBytes || "0", 10);
      if (max && input.files[0].size > max) { fail([form.dataset.tooLarge]); return; }  // no point sending it
      var xhr = new XMLHttpRequest();
      xhr.open("POST", form.action);
      xhr.setRequestHeader("Accept", "application/json");
      xhr.setRequestHeader("X-CSRFToken", form.querySelector("[name=csrfmiddlewaretoken]").value);
      bar.firstElementChild.style.width = "0%";  // through the CSSOM: a style attribute in the page would be blocked (CSP)
      bar.classList.remove("d-none");
      errors.textContent = "";
      xhr.upload.addEventListener("progress", function (e) {
        if (e.lengthComputable) { bar.firstElementChild.style.width = Math.round(e.loaded * 100 / e.total) + "%"; }
      });
      xhr.addEventListener("load", function () {
        var data = {};
        // Not JSON (a 500, a proxy's page): the page's own message, in its language, not xhr.statusText.
        try { data = JSON.parse(xhr.responseText); } catch (err) { data = { ok: false, errors: [form.dataset.failed] }; }
        if (data.ok) { window.location.reload(); return; }
        fail(data.errors && data.errors.length ? data.errors : [form.dataset.failed]);
      });
      xhr.addEventListener("error", function () { fail([form.dataset.failed]); });  // the network: no answer at all
      xhr.send(new FormData(form));
    }
  });

  // The signature form: every keystroke is checked against the rules in force (compliance.check_signature).
  document.querySelectorAll("form[data-signature-form]").forEach(function (form) {
    var url = form.dataset.checkUrl;
    var list = document.querySelector("[data-violations]");
    var state = document.querySelector("[data-check-state]");
    var preview = document.querySelector("[data-preview-text]");
    var proposals = document.querySelector("[data-proposals]");
    var ack = form.querySelector("[data-acknowledge]");
    var submit = form.querySelector("[data-submit]");
    var source = form.querySelector("[name=source]");
    var textInput = form.querySelector("[name=text]");
    var sourceNote = form.querySelector("[data-source-note]");
    var entitySelect = form.querySelector("[name=entity]");
    var timer = null;
    var seq = 0;
    var offered = [];  // the abbreviations proposed for this entity's full name, kept to compare
    // The full-name source is the entity's name itself: filled in when that source is chosen or the
    // entity changes (never again once the customer empties the field), and replaced on a change of
    // entity while it is still the previous entity's name.
    var fillFullName = false;
    var fullName = "";
    function showEvidence() {
      form.querySelectorAll("[data-evidence]").forEach(function (box) {
        box.classList.toggle("d-none", box.dataset.evidence !== source.value);
      });
    }
    // Each evidence option carries its entity (data-entity): only the chosen entity's are offered, a
    // choice of another entity's is cleared when the entity changes, and an entity with none says so,
    // with a link to add one on its page. Inside Tom Select too, when the select is searchable.
    var evidence = Array.prototype.map.call(form.querySelectorAll("[data-evidence] select"), function (select) {
      return { select: select, box: select.closest("[data-evidence]"),
               all: Array.prototype.map.call(select.options, function (o) { return o.cloneNode(true); }) };
    });
    function filterEvidence() {
      var entity = entitySelect.value;
      evidence.forEach(function (e) {
        var value = e.select.value;
        var kept = e.all.filter(function (o) { return !o.dataset.entity || o.dataset.entity === entity; });
        var mine = kept.filter(function (o) { return o.value; });
        if (!mine.some(function (o) { return o.value === value; })) { value = ""; }
        e.select.replaceChildren.apply(e.select, kept.map(function (o) { return o.cloneNode(true); }));
        e.select.value = value;
        if (e.select.tomselect) {
          e.select.tomselect.clear(true);
          e.select.tomselect.clearOptions();
          e.select.tomselect.sync();
        }
        var none = e.box.querySelector("[data-evidence-none]");
        none.classList.toggle("d-none", !entity || mine.length > 0);
        none.querySelector("a").href = none.dataset.url.replace(none.dataset.placeholder, entity);
      });
    }
    function showProposals(names) {
      var buttons = proposals.querySelector("[data-proposal-buttons]");
      buttons.innerHTML = "";
      names.forEach(function (name) {
        var button = document.createElement("button");
        var chosen = source.value === "abbreviation" && textInput.value === name;
        button.type = "button";
        button.className = "btn btn-sm " + (chosen ? "btn-primary" : "btn-outline-primary");
        button.setAttribute("aria-pressed", chosen ? "true" : "false");
        button.dataset.proposal = name;
        button.textContent = name;
        button.addEventListener("click", function () {  // an abbreviation of the full name, in order
          source.value = "abbreviation";
          textInput.value = name;
          showEvidence();
          showProposals(names);  // the others stay in view, to compare; the chosen one is marked
          check();
        });
        buttons.appendChild(button);
      });
      proposals.classList.toggle("d-none", !names.length);
    }
    function render(data) {
      var fill = fillFullName, previous = fullName, text = textInput.value;
      fillFullName = false;
      fullName = data.full_name || "";
      if (fill && source.value === "full_name" && fullName && text !== fullName && (!text || text === previous)) {
        textInput.value = fullName;
        check();
        return;
      }
      list.innerHTML = "";
      var items = data.violations.map(function (v) {
        return { cls: v.severity === "error" ? "text-danger" : "text-warning-emphasis",
                 text: v.message, code: v.code, ref: v.rule };
      });
      items.forEach(function (item) {
        var li = document.createElement("li");
        li.className = "mb-2 " + item.cls;
        li.dataset.code = item.code;
        li.appendChild(document.createTextNode(item.text));  // the sentence first
        if (item.ref || item.code) {  // then, quietly, where the rule comes from and its code for support
          var ref = document.createElement("div");
          ref.className = "small text-secondary";
          ref.textContent = item.ref && item.code ? item.ref + " · " : item.ref;
          if (item.code) {
            var code = document.createElement("code");
            code.className = "text-secondary";
            code.textContent = item.code;
            ref.appendChild(code);
          }
          li.appendChild(ref);
        }
        list.appendChild(li);
      });
      state.textContent = data.blocked ? state.dataset.blocked : (items.length ? state.dataset.warn : state.dataset.ok);
      state.className = "small " + (data.blocked ? "text-danger" : (items.length ? "text-warning-emphasis" : "text-success"));
      ack.classList.toggle("d-none", !data.needs_acknowledgement);
      var tick = ack.querySelector("input[type=checkbox]");
      if (!data.needs_acknowledgement && tick) { tick.checked = false; }
      // Warnings: the button waits for the tick, as the server does.
      submit.disabled = data.blocked || (data.needs_acknowledgement && !(tick && tick.checked));
      // Sources this entity cannot use are greyed out, but never the chosen one: a disabled option is
      // not posted, and a draft keeps what was picked. Why it cannot be used is said beside it.
      Array.prototype.forEach.call(source.options, function (option) {
        option.disabled = option.value !== source.value && data.available_sources.indexOf(option.value) < 0;
      });
      sourceNote.textContent = data.source_note || "";
      sourceNote.classList.toggle("d-none", !data.source_note);  // no empty line when there is nothing to say
      // Proposals stay in view while an abbreviation is being chosen (the full name's, for this entity).
      if (data.proposals && data.proposals.length) { offered = data.proposals; }
      else if (source.value !== "abbreviation") { offered = []; }
      showProposals(offered);
    }
    function check() {
      var text = textInput.value;
      preview.textContent = text;
      var entity = form.querySelector("[name=entity]").value;
      // Nothing typed yet: nothing to judge, except that choosing the full name fills it in.
      if (!entity || (!text && source.value !== "full_name")) { list.innerHTML = ""; return; }
      var params = new URLSearchParams({ entity: entity, source: source.value, text: text });
      if (form.dataset.signatureId) { params.set("signature", form.dataset.signatureId); }  // its own hold does not count
      ["trademark", "app", "partner_authorization"].forEach(function (name) {
        var field = form.querySelector("[name=" + name + "]");
        if (field && field.value) { params.set(name, field.value); }
      });
      var mine = ++seq;
      fetch(url + "?" + params.toString(), { headers: { "Accept": "application/json" }, credentials: "same-origin" })
        .then(function (r) { return r.json(); })
        .then(function (data) { if (mine === seq) { render(data); } })
        .catch(function () { state.textContent = state.dataset.offline; state.className = "small text-secondary"; });
    }
    state.dataset.ok = state.dataset.ok || form.dataset.ok || "✔";
    form.addEventListener("input", function () { window.clearTimeout(timer); timer = window.setTimeout(check, 150); });
    form.addEventListener("change", function (event) {
      if (event.target === entitySelect) { offered = []; filterEvidence(); }
      if (event.target === entitySelect || event.target === source) { fillFullName = source.value === "full_name"; }
      showEvidence();
      check();
    });
    filterEvidence();
    showEvidence();
    check();
  });

  // The template form: what each carrier will count and say, as the customer types.
  document.querySelectorAll("form[data-template-form]").forEach(function (form) {
    var url = form.dataset.checkUrl;
    var i18n = document.querySelector("template[data-i18n]").dataset;
    var box = document.querySelector("[data-highlighted]");
    var billing = document.querySelector("[data-billing]");
    var general = document.querySelector("[data-general]");
    var rows = document.querySelector("[data-carriers]");
    var night = document.querySelector("[data-night]");
    var addAddress = document.querySelector("[data-add-address]");
    var coverage = document.querySelector("[data-coverage]");
    var submit = form.querySelector("[data-submit]");
    var token = form.querySelector("[name=csrfmiddlewaretoken]").value;
    var timer = null;
    var seq = 0;
    var classes = { link: "bg-warning-subtle", ip: "bg-warning-subtle" };
    function highlight(text, spans) {
      box.textContent = "";
      var at = 0;
      spans.forEach(function (span) {
        box.appendChild(document.createTextNode(text.slice(at, span[0])));
        var mark = document.createElement("mark");
        mark.className = classes[span[2]] || "bg-info-subtle";
        mark.title = i18n["kind_" + span[2]] || span[2];
        mark.textContent = text.slice(span[0], span[1]);
        box.appendChild(mark);
        at = span[1];
      });
      box.appendChild(document.createTextNode(text.slice(at)));
    }
    // The sentence first; then, small and quiet, the notice it comes from and the code support quotes.
    function item(list, v) {
      var li = document.createElement("li");
      li.className = v.severity === "error" ? "text-danger" : "text-warning-emphasis";
      li.dataset.code = v.code;
      var sentence = document.createElement("span");
      sentence.textContent = v.message;
      var ref = document.createElement("small");
      ref.className = "text-body-tertiary ms-1 rule-ref";
      ref.textContent = v.rule + " · " + v.code;  // the rule as the reader reads it, then the code
      li.appendChild(sentence); li.appendChild(ref);
      list.appendChild(li);
    }
    function billingText(data) {
      var text = data.estimated ? i18n.billingEstimate : i18n.billingText;
      return text.replace("%(length)s", data.billed_length).replace("%(segments)s", data.billed_segments)
                 .replace("%(default)s", data.variable_length);
    }
    function render(data, text) {
      highlight(text, data.spans);
      billing.textContent = billingText(data);
      general.innerHTML = "";
      data.general.forEach(function (v) { item(general, v); });
      rows.innerHTML = "";
      var windowText = "";
      var unowned = false;
      var passes = false;
      data.carriers.forEach(function (c) {
        var tr = document.createElement("tr");
        tr.dataset.carrier = c.carrier;
        tr.dataset.verdict = c.verdict;
        var name = document.createElement("td"); name.textContent = c.name; name.className = "text-nowrap";
        var verdict = document.createElement("td"); verdict.textContent = i18n[c.verdict] || c.verdict;
        verdict.className = "verdict-word " + ({ blocked: "text-danger", needs_filing: "text-warning-emphasis", allowed: "text-success" }[c.verdict] || "");
        var why = document.createElement("td"); why.className = "verdict-why";  // wraps anywhere: never widens the table past a phone
        var ul = document.createElement("ul"); ul.className = "list-unstyled mb-0";
        // What blocks it first (its own errors, then the format errors every carrier shares), then its warnings.
        c.blocked_by.forEach(function (v) { item(ul, v); if (v.code === "TPL_LINK_NOT_OWNED" || v.code === "TPL_IP_NOT_OWNED") { unowned = true; } });
        c.violations.forEach(function (v) { if (v.severity !== "error") { item(ul, v); } });
        if (c.verdict === "allowed" || c.verdict === "needs_filing") { passes = true; }
        why.appendChild(ul);
        tr.appendChild(name); tr.appendChild(verdict); tr.appendChild(why);
        rows.appendChild(tr);
        if (c.night_window) { windowText = c.night_window; }
      });
      night.textContent = windowText ? i18n.nightText.replace("%(window)s", windowText) : "";
      coverage.classList.toggle("d-none", !passes);  // what a passing verdict covers, and what it cannot
      addAddress.classList.toggle("d-none", !unowned);
      addAddress.querySelector("a").href = data.add_address_url;
      submit.disabled = data.blocked;
    }
    var hint = box.innerHTML;
    function check() {
      var text = form.querySelector("[name=text]").value;
      var signature = form.querySelector("[name=signature]").value;
      if (!signature) { return; }
      if (!text) {  // nothing typed yet: the hint, not an error
        ++seq; box.innerHTML = hint; billing.textContent = ""; general.innerHTML = ""; rows.innerHTML = ""; night.textContent = "";
        coverage.classList.add("d-none");
        addAddress.classList.add("d-none"); submit.disabled = true;  // an empty template cannot be submitted
        return;
      }
      var body = new URLSearchParams({ signature: signature, kind: form.querySelector("[name=kind]").value, text: text });
      if (form.dataset.templateId) { body.set("template", form.dataset.templateId); }  // not counted against itself
      var mine = ++seq;
      fetch(url, { method: "POST", body: body, credentials: "same-origin",
                   headers: { "Accept": "application/json", "X-CSRFToken": token } })
        .then(function (r) { return r.json(); })
        .then(function (data) { if (mine === seq) { render(data, text); } })
        .catch(function () { /* the server checks again on submit */ });
    }
    form.addEventListener("input", function () { window.clearTimeout(timer); timer = window.setTimeout(check, 200); });
    form.addEventListener("change", check);
    check();
  });
})();
