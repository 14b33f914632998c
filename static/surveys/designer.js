// The survey designer: show each question's answers when its menu is chosen, keep every
// "next question" list in step with the question ids, add questions. The page works without
// it (save to see a chosen menu's answers); the server checks everything.
(function () {
  "use strict";
  const form = document.getElementById("survey-designer");
  if (!form) return;
  const menus = JSON.parse(document.getElementById("survey-menus").textContent);
  const box = document.getElementById("survey-questions");
  const total = form.querySelector("input[name=questions-TOTAL_FORMS]");

  function showAnswers(question) {
    const menu = question.querySelector("select[name$='-menu']").value;
    const rows = {};
    (menus[menu] || []).forEach(function (row) { rows[row.slot] = row; });
    question.querySelectorAll("tr[data-slot]").forEach(function (tr) {
      const row = rows[tr.dataset.slot];
      tr.hidden = !row;
      if (row && tr.dataset.slot !== "any") {
        tr.querySelector(".branch-keys").textContent = row.keys;
        tr.querySelector(".branch-label").textContent = row.answer;
      }
    });
  }

  function syncCodes() {
    const codes = [];
    box.querySelectorAll(".survey-question").forEach(function (question) {
      const code = question.querySelector("input[name$='-code']").value.trim();
      question.querySelector(".survey-question-code").textContent = code;
      if (code && codes.indexOf(code) < 0) codes.push(code);
    });
    form.querySelectorAll("select[name*='-next_']").forEach(function (select) {
      const chosen = select.value;
      const end = select.options[0];
      select.replaceChildren(end);
      codes.concat(chosen && codes.indexOf(chosen) < 0 ? [chosen] : []).forEach(function (code) {
        select.append(new Option(code, code, false, code === chosen));
      });
      select.value = chosen;
    });
  }

  box.addEventListener("change", function (event) {
    if (event.target.matches("select[name$='-menu']")) showAnswers(event.target.closest(".survey-question"));
  });
  box.addEventListener("input", function (event) {
    if (event.target.matches("input[name$='-code']")) syncCodes();
  });
  document.getElementById("survey-add-question").addEventListener("click", function () {
    const n = parseInt(total.value, 10);
    const html = document.getElementById("survey-question-template").innerHTML.replace(/__prefix__/g, String(n));
    box.insertAdjacentHTML("beforeend", html);
    total.value = String(n + 1);
    syncCodes();
    box.lastElementChild.querySelector("input[name$='-code']").focus();
  });
  box.querySelectorAll(".survey-question").forEach(showAnswers);
})();
