// The writing tools of the article form: a live preview beside the body, a Markdown toolbar,
// files dropped or pasted into the body, autosave with a recovery prompt, and a warning before
// unsaved text is lost. No build step and no third-party code: it is served from the site itself
// under the page's CSP nonce, and talks only to the admin's editor endpoints
// (articles/admin/editor.py), which answer the same 404 as for a missing article to anyone who
// may not change this one.
"use strict";

(function () {
  const urls = document.currentScript.dataset;
  const form = document.getElementById("article_form");
  const body = document.getElementById("id_body");
  if (!form || !body) {
    return;
  }
  const PREVIEW_DELAY_MS = 400;
  const AUTOSAVE_EVERY_MS = 3000;
  const TEXT_FIELDS = ["title", "summary", "body", "tags"];
  const csrfToken = form.querySelector("[name=csrfmiddlewaretoken]").value;
  const versionInput = document.getElementById("id_loaded_version");
  const field = (name) => document.getElementById("id_" + name);

  function element(tag, attributes, text) {
    const node = document.createElement(tag);
    Object.entries(attributes || {}).forEach(([name, value]) => node.setAttribute(name, value));
    if (text) {
      node.textContent = text;
    }
    return node;
  }

  async function send(url, data, method) {
    const response = await fetch(url, {
      method: method || "POST",
      body: data,
      headers: { "X-CSRFToken": csrfToken, Accept: "application/json" },
      credentials: "same-origin",
    });
    let result;
    try {
      result = await response.json();
    } catch (_notJson) {
      result = { error: `The server answered ${response.status}; nothing was changed. Try again.` };
    }
    return { ok: response.ok, result };
  }

  function typedText() {
    const data = new FormData();
    TEXT_FIELDS.forEach((name) => data.append(name, field(name) ? field(name).value : ""));
    return data;
  }

  const snapshot = () => TEXT_FIELDS.map((name) => (field(name) ? field(name).value : "")).join("\u0000");

  // --- layout: the body and its preview side by side -------------------------------------------

  const row = body.closest(".form-row") || body.parentElement;
  row.classList.add("editor-row");
  const status = element("p", { class: "editor-status", role: "status" });
  const autosaveStatus = element("p", { class: "editor-autosave", role: "status" });
  const preview = element("section", { class: "editor-preview", "aria-labelledby": "editor-preview-heading" });
  preview.append(element("h2", { id: "editor-preview-heading" }, "Live preview"));
  const problems = element("ul", { class: "editor-problems", role: "status" });
  const previewTitle = element("p", { class: "editor-preview-title" });
  const previewSummary = element("p", { class: "editor-preview-summary" });
  const previewBody = element("div", { class: "editor-preview-body" });
  preview.append(problems, previewTitle, previewSummary, previewBody);
  row.append(preview);

  // --- live preview: rendered by the server with the site's renderer and sanitiser -------------

  let previewTimer = null;
  let previewRequest = 0;

  async function refreshPreview() {
    const request = ++previewRequest;
    const data = typedText();
    form.querySelectorAll("[name=keep_assets]").forEach((input) => {
      if (input.type === "hidden" || input.checked) {
        data.append("keep_assets", input.value);
      }
    });
    const { ok, result } = await send(urls.previewUrl, data);
    if (request !== previewRequest) {
      return; // a later keystroke's preview is on its way
    }
    problems.replaceChildren();
    if (!ok) {
      problems.append(element("li", {}, result.error || "The preview could not be rendered."));
      return;
    }
    result.problems.forEach((problem) => problems.append(element("li", {}, problem)));
    previewTitle.textContent = field("title") ? field("title").value : "";
    previewSummary.textContent = field("summary") ? field("summary").value : "";
    // Sanitised by the server exactly as a published page is (nh3 allow-list, no script or
    // event handlers); the CSP would refuse inline script even if something got through.
    previewBody.innerHTML = result.html;
  }

  function schedulePreview() {
    clearTimeout(previewTimer);
    previewTimer = setTimeout(refreshPreview, PREVIEW_DELAY_MS);
  }

  // --- autosave: at most every few seconds, one record per editor, never a revision ------------

  let autosaveTimer = null;
  let lastAutosaved = snapshot();

  function scheduleAutosave() {
    if (!urls.autosaveUrl || autosaveTimer) {
      return;
    }
    autosaveTimer = setTimeout(async () => {
      autosaveTimer = null;
      const text = snapshot();
      if (text === lastAutosaved) {
        return;
      }
      const { ok, result } = await send(urls.autosaveUrl, typedText());
      if (ok) {
        lastAutosaved = text;
        autosaveStatus.textContent = `Unsaved text kept at ${result.saved_at} (only you see it).`;
      } else {
        autosaveStatus.textContent = result.error || "Your text could not be kept; save it soon.";
      }
    }, AUTOSAVE_EVERY_MS);
  }

  // --- unsaved changes: warn before they are lost ----------------------------------------------

  const savedText = snapshot();
  let attachedUnsaved = false;
  let leaving = false;
  const isDirty = () => attachedUnsaved || snapshot() !== savedText;
  const LEAVE_MESSAGE =
    "You have unsaved changes. Leaving this page loses them, and workflow actions act on the " +
    "last saved version, not on what you typed. Leave without saving?";

  window.addEventListener("beforeunload", (event) => {
    if (isDirty() && !leaving) {
      event.preventDefault();
      event.returnValue = "";
    }
  });

  function savesTheForm(control) {
    return control.form === form && !control.hasAttribute("formaction");
  }

  document.addEventListener(
    "click",
    (event) => {
      const control = event.target.closest("a[href], button[type=submit], input[type=submit], button:not([type])");
      if (!control || !isDirty() || leaving) {
        return;
      }
      if (control.matches("a[href]") && (control.target === "_blank" || control.getAttribute("href").startsWith("#"))) {
        return;
      }
      // A button outside any form (the theme or sidebar toggle) submits nothing and leaves nothing.
      if (!control.matches("a[href]") && (!control.form || savesTheForm(control))) {
        return;
      }
      if (window.confirm(LEAVE_MESSAGE)) {
        leaving = true;
      } else {
        event.preventDefault();
        event.stopImmediatePropagation();
      }
    },
    true,
  );
  form.addEventListener("submit", () => {
    leaving = true;
  });

  function changed() {
    schedulePreview();
    scheduleAutosave();
  }
  TEXT_FIELDS.forEach((name) => field(name) && field(name).addEventListener("input", changed));
  form.addEventListener("change", (event) => {
    if (event.target.name === "keep_assets") {
      schedulePreview();
    }
  });

  // --- editing the body --------------------------------------------------------------------------

  function replaceSelection(text, selectFrom, selectTo) {
    const start = body.selectionStart;
    body.setRangeText(text, start, body.selectionEnd, "end");
    if (selectFrom !== undefined) {
      body.setSelectionRange(start + selectFrom, start + selectTo);
    }
    body.focus();
    body.dispatchEvent(new Event("input", { bubbles: true }));
  }

  function wrap(before, after, placeholder) {
    const selected = body.value.slice(body.selectionStart, body.selectionEnd) || placeholder;
    replaceSelection(before + selected + after, before.length, before.length + selected.length);
  }

  function prefixLines(prefix) {
    const start = body.value.lastIndexOf("\n", body.selectionStart - 1) + 1;
    body.setSelectionRange(start, body.selectionEnd);
    const lines = body.value.slice(start, body.selectionEnd).split("\n");
    replaceSelection(lines.map((line) => prefix + line).join("\n"));
  }

  function insertBlock(text) {
    const start = body.selectionStart;
    const before = start > 0 && body.value[start - 1] !== "\n" ? "\n" : "";
    body.setSelectionRange(start, body.selectionEnd);
    replaceSelection(before + text + "\n");
  }

  // --- files dropped, pasted or chosen: private assets, referenced from the body ---------------

  function keepAttached(asset) {
    const list = document.getElementById("id_keep_assets");
    const input = element("input", { type: "checkbox", name: "keep_assets", value: asset.id, checked: "" });
    if (!list) {
      input.type = "hidden";
      form.append(input);
      return;
    }
    const label = element("label");
    label.append(input, ` ${asset.name} (private, just attached)`);
    const item = element("div");
    item.append(label);
    list.append(item);
  }

  // The add page has no article to attach to yet: the files join "Attach files" and are stored
  // with the first save. The reference is the one articles/admin/editor.markdown_reference writes.
  function referenceBeforeSaving(file) {
    const stem = file.name.replace(/\.[^.]*$/, "").replace(/[[\]]/g, "") || "file";
    const target = encodeURIComponent(file.name);
    return file.type.startsWith("image/") ? `![${stem}](${target})` : `[${stem}](${target})`;
  }

  function attachOnSave(file) {
    const uploads = document.getElementById("id_uploads");
    const files = new DataTransfer();
    Array.from(uploads.files).forEach((chosen) => files.items.add(chosen));
    files.items.add(file);
    uploads.files = files.files;
    insertBlock(referenceBeforeSaving(file));
    status.textContent = `“${file.name}” will be attached, privately, when you save.`;
  }

  async function upload(file) {
    if (!urls.uploadUrl) {
      attachOnSave(file);
      return;
    }
    status.textContent = `Uploading “${file.name}”…`;
    status.classList.remove("editor-error");
    const data = new FormData();
    data.append("file", file);
    data.append("loaded_version", versionInput.value);
    const { ok, result } = await send(urls.uploadUrl, data);
    if (!ok) {
      status.textContent = result.error;
      status.classList.add("editor-error");
      return;
    }
    versionInput.value = result.version;
    attachedUnsaved = true;
    keepAttached(result);
    insertBlock(result.reference);
    status.textContent = `“${result.name}” is attached and private until published. ${result.notice}`.trim();
  }

  async function uploadAll(files) {
    for (const file of files) {
      await upload(file); // one after another: each attachment moves the article's version
    }
  }

  body.addEventListener("dragover", (event) => {
    if (event.dataTransfer && Array.from(event.dataTransfer.types).includes("Files")) {
      event.preventDefault();
      body.classList.add("editor-dropping");
    }
  });
  body.addEventListener("dragleave", () => body.classList.remove("editor-dropping"));
  body.addEventListener("drop", (event) => {
    body.classList.remove("editor-dropping");
    if (event.dataTransfer && event.dataTransfer.files.length) {
      event.preventDefault();
      uploadAll(Array.from(event.dataTransfer.files));
    }
  });
  body.addEventListener("paste", (event) => {
    if (event.clipboardData && event.clipboardData.files.length) {
      event.preventDefault();
      uploadAll(Array.from(event.clipboardData.files));
    }
  });

  // --- the toolbar -------------------------------------------------------------------------------

  const imagePicker = element("input", { type: "file", accept: "image/png,image/jpeg,image/webp,image/gif", hidden: "" });
  imagePicker.addEventListener("change", () => {
    uploadAll(Array.from(imagePicker.files));
    imagePicker.value = "";
  });
  const TOOLS = [
    ["Heading", () => prefixLines("## ")],
    ["Bold", () => wrap("**", "**", "bold text")],
    ["Link", () => wrap("[", "](https://)", "link text")],
    ["List", () => prefixLines("- ")],
    ["Quote", () => prefixLines("> ")],
    ["Table", () => insertBlock("| Column | Column |\n| --- | --- |\n| Cell | Cell |")],
    ["Image", () => imagePicker.click()],
  ];
  const toolbar = element("div", { role: "toolbar", "aria-label": "Markdown formatting", "aria-controls": "id_body", class: "editor-toolbar" });
  TOOLS.forEach(([label, action]) => {
    const button = element("button", { type: "button", class: "button" }, label);
    button.addEventListener("click", action);
    toolbar.append(button);
  });
  body.before(toolbar, imagePicker);
  body.after(status, autosaveStatus);
  const hint = element("p", { class: "help" }, "Drop or paste images and PDFs into the body to attach them privately.");
  status.before(hint);

  // --- the assets table: copy a file's Markdown reference ----------------------------------------

  document.querySelectorAll("code.asset-reference").forEach((code) => {
    const button = element("button", { type: "button", class: "button" }, "Copy");
    button.setAttribute("aria-label", `Copy the reference ${code.textContent}`);
    button.addEventListener("click", async () => {
      try {
        await navigator.clipboard.writeText(code.textContent);
        status.textContent = `Copied ${code.textContent}: paste it into the body.`;
      } catch (_refused) {
        window.getSelection().selectAllChildren(code);
        status.textContent = "Selected: press Ctrl+C (⌘C) to copy it.";
      }
    });
    code.after(" ", button);
  });

  // --- recovery: unsaved text newer than the working draft ---------------------------------------

  async function offerRecovery() {
    if (!urls.recoverUrl) {
      return;
    }
    const { ok, result } = await send(urls.recoverUrl, undefined, "GET");
    if (!ok || !result.autosave) {
      return;
    }
    const saved = result.autosave;
    const prompt = element("section", { class: "editor-recovery", "aria-labelledby": "editor-recovery-text" });
    prompt.append(element("p", { id: "editor-recovery-text" }, `Restore unsaved text from ${saved.saved_at}?`));
    const restore = element("button", { type: "button", class: "button default" }, "Restore");
    const discard = element("button", { type: "button", class: "button" }, "Discard");
    prompt.append(restore, " ", discard);
    restore.addEventListener("click", () => {
      TEXT_FIELDS.forEach((name) => field(name) && (field(name).value = saved[name]));
      prompt.remove();
      status.textContent = `Restored the text from ${saved.saved_at}. Save to keep it.`;
      refreshPreview();
    });
    discard.addEventListener("click", async () => {
      await send(urls.discardUrl, new FormData());
      prompt.remove();
      status.textContent = "The unsaved text was discarded.";
    });
    form.prepend(prompt);
  }

  refreshPreview();
  offerRecovery();
})();
