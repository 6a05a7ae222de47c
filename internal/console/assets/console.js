// mint console: progressive enhancement only. Every page works without this
// script; with it, copy buttons appear and destructive forms are confirmed
// in a dialog instead of on a confirmation page.
"use strict";

// Copy buttons copy the text of the element their data-copy names, and
// say in their status whether it worked.
function setUpCopy(button) {
  const target = document.getElementById(button.dataset.copy);
  const status = document.querySelector('[data-copy-status="' + button.dataset.copy + '"]');
  if (!target) return;
  button.hidden = false;
  button.addEventListener("click", async () => {
    const text = target.textContent;
    let copied = false;
    try {
      await navigator.clipboard.writeText(text);
      copied = true;
    } catch (_) {
      copied = copyBySelection(target);
    }
    if (status) status.textContent = copied ? "Copied" : "Copy failed: select the text and copy it";
    button.dataset.copied = copied ? "yes" : "no";
  });
}

// copyBySelection is the fallback where the Clipboard API is refused.
function copyBySelection(target) {
  const range = document.createRange();
  range.selectNodeContents(target);
  const sel = window.getSelection();
  sel.removeAllRanges();
  sel.addRange(range);
  try {
    return document.execCommand("copy");
  } catch (_) {
    return false;
  }
}

// Forms (or submit buttons) with data-confirm ask in a modal dialog; the
// answer "yes" is sent as confirmed=yes, which the server requires.
function confirmDialog(question, button, onYes) {
  const dialog = document.createElement("dialog");
  dialog.setAttribute("aria-labelledby", "confirm-question");
  const p = document.createElement("p");
  p.id = "confirm-question";
  p.textContent = question;
  const actions = document.createElement("div");
  actions.className = "actions";
  const yes = document.createElement("button");
  yes.type = "button";
  yes.className = "danger";
  yes.id = "confirm-yes";
  yes.textContent = button || "Confirm";
  const no = document.createElement("button");
  no.type = "button";
  no.className = "secondary";
  no.id = "confirm-no";
  no.textContent = "Cancel";
  actions.append(yes, no);
  dialog.append(p, actions);
  document.body.append(dialog);
  dialog.addEventListener("close", () => dialog.remove());
  no.addEventListener("click", () => dialog.close());
  yes.addEventListener("click", () => { dialog.close(); onYes(); });
  dialog.showModal();
  no.focus();
}

function setUpConfirm(form) {
  form.addEventListener("submit", (event) => {
    const source = event.submitter && event.submitter.dataset.confirm ? event.submitter : form;
    if (!source.dataset.confirm || form.dataset.confirmed === "yes") return;
    event.preventDefault();
    const submitter = event.submitter;
    confirmDialog(source.dataset.confirm, source.dataset.confirmButton, () => {
      const field = document.createElement("input");
      field.type = "hidden";
      field.name = "confirmed";
      field.value = "yes";
      form.append(field);
      form.dataset.confirmed = "yes";
      form.requestSubmit(submitter || undefined);
    });
  });
}

document.querySelectorAll("button[data-copy]").forEach(setUpCopy);
document.querySelectorAll("form").forEach(setUpConfirm);
