// The page's only script: sends forms to the server and shows what comes back. No rule of the scheme lives here.
"use strict";
const TOKEN = document.querySelector('meta[name="token"]').content;
const $ = (selector, root = document) => root.querySelector(selector);

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key === "class") node.className = value; else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value);
  }
  for (const child of children.flat()) node.append(child instanceof Node ? child : document.createTextNode(child ?? ""));
  return node;
}

async function api(url, options = {}) {
  options.headers = { ...(options.headers || {}), "X-MutualAid-Token": TOKEN };
  const response = await fetch(url, options);
  const data = await response.json().catch(() => ({ error: `服务器返回 ${response.status}` }));
  if (!response.ok) throw new Error(data.error || `服务器返回 ${response.status}`);
  return data;
}

function sortBy(table, column, th) {
  const body = table.tBodies[0];
  const ascending = !th.classList.contains("sorted-asc");
  table.querySelectorAll("th").forEach(h => h.classList.remove("sorted-asc", "sorted-desc"));
  th.classList.add(ascending ? "sorted-asc" : "sorted-desc");
  const value = row => row.cells[column].textContent;
  const rows = [...body.rows].filter(r => !r.classList.contains("detail"));
  rows.forEach(r => r.detailRow && r.detailRow.remove());
  rows.sort((a, b) => {
    const x = value(a), y = value(b), nx = parseFloat(x.replace(/,/g, "")), ny = parseFloat(y.replace(/,/g, ""));
    const order = !isNaN(nx) && !isNaN(ny) ? nx - ny : x.localeCompare(y, "zh-CN");
    return ascending ? order : -order;
  });
  rows.forEach(r => { body.append(r); if (r.detailRow && r.detailRow.open) body.append(r.detailRow); });
}

function table(spec) {
  const head = el("tr", {}, spec.headers.map((h, i) => el("th", { onclick: e => sortBy(node, i, e.target) }, h)));
  if (spec.details) head.append(el("th", {}, "计算说明"));
  const body = el("tbody");
  spec.rows.forEach((row, index) => {
    const tr = el("tr", {}, row.map(cell => el("td", {}, cell === null ? "" : String(cell))));
    if (spec.details) {
      const detail = el("tr", { class: "detail" }, el("td", { colspan: row.length + 1 }, spec.details[index].join("\n")));
      tr.detailRow = detail;
      tr.append(el("td", {}, el("button", { type: "button", onclick: () => {
        detail.open = !detail.open;
        if (detail.open) tr.after(detail); else detail.remove();
      } }, "说明")));
    }
    body.append(tr);
  });
  const node = el("table", {}, el("thead", {}, head), body);
  return el("div", {}, el("h3", {}, spec.title || ""), spec.source ? el("div", { class: "source" }, `依据：${spec.source}`) : "", node);
}

function showResult(box, job) {
  const result = job.result;
  box.append(el("div", { class: "lines" }, `${job.title}：完成\n${(result.lines || []).join("\n")}`));
  if (result.files.length) {
    const path = name => name.split("/").map(encodeURIComponent).join("/");
    const shown = result.files.slice(0, 50);
    const links = el("div", { class: "files" }, "下载：", shown.map(name =>
      el("a", { href: `/api/job/${job.id}/files/${path(name)}`, download: "" }, name)));
    if (result.files.length > shown.length) links.append(`……共 ${result.files.length} 个文件，请用“全部下载”。`);
    if (result.files.length > 1) links.append(el("a", { href: `/api/job/${job.id}/zip`, download: "" }, "全部下载（zip）"));
    box.append(links);
  }
  if (result.saved) box.append(el("div", { class: "lines" }, `已保存到文件夹：\n${result.saved.join("\n")}`));
  (result.tables || []).forEach(spec => box.append(table(spec)));
}

async function follow(box, jobId, button) {
  const bar = el("progress", { max: 1 });
  const step = el("span");
  const cancel = el("button", { type: "button", onclick: () => api(`/api/job/${jobId}/cancel`, { method: "POST" }) }, "取消");
  box.replaceChildren(el("div", { class: "progress" }, bar, step, cancel));
  for (;;) {
    const job = await api(`/api/job/${jobId}`);
    if (job.total) { bar.max = job.total; bar.value = job.done; } else bar.removeAttribute("value");
    step.textContent = job.step + (job.total ? `（${job.done}/${job.total}）` : "");
    if (job.state !== "running") {
      box.replaceChildren();
      if (job.state === "done") showResult(box, job); else box.append(el("div", { class: "error" }, job.message));
      button.disabled = false;
      return;
    }
    await new Promise(resolve => setTimeout(resolve, 300));
  }
}

document.querySelectorAll("form[data-action]").forEach(form => form.addEventListener("submit", async event => {
  event.preventDefault();
  const box = $(".job", form.parentElement), button = $("button[type=submit]", form);
  const data = new FormData(form);
  data.append("policy", $("#policy").value);
  data.append("save_to", $("#save_to").value);
  if (form.dataset.action === "seal")   // without an uploaded file the notice is made from the 生成红头通知 fields
    $("#notice .notice-fields").querySelectorAll("[name]").forEach(input => data.append(input.name, input.value));
  if (form.password) form.password.value = "";   // the certificate's password is sent once, never kept on the page
  button.disabled = true;
  try {
    const { job } = await api(`/api/jobs/${form.dataset.action}`, { method: "POST", body: data });
    await follow(box, job, button);
  } catch (error) {
    box.replaceChildren(el("div", { class: "error" }, error.message));
    button.disabled = false;
  }
}));

document.querySelectorAll("#tabs button").forEach(tab => tab.addEventListener("click", () => {
  document.querySelectorAll("#tabs button, section").forEach(n => n.classList.remove("on"));
  tab.classList.add("on");
  $(`#${tab.dataset.tab}`).classList.add("on");
}));

async function showPolicy(id) {
  const box = $("#settings .policy");
  try {
    const p = await api(`/api/policies/${encodeURIComponent(id)}`);
    box.replaceChildren(el("h3", {}, `${p.title}（${p.kind}）`),
      el("div", { class: "lines" }, [`地区：${p.region}　期次：${p.period}`, ...p.documents.map(d => `依据：${d}`),
                                      ...p.notes.map(n => `说明：${n}`)].join("\n")),
      ...p.sections.map(table));
  } catch (error) { box.replaceChildren(el("div", { class: "error" }, error.message)); }
}

$("#calc_form").addEventListener("submit", async event => {
  event.preventDefault();
  const box = $("#calc .calc-result");
  const data = new FormData(event.target);
  data.set("first_stay", event.target.first_stay.checked ? "1" : "0");
  data.append("policy", $("#policy").value);
  try {
    const r = await api("/api/calc", { method: "POST", body: data });
    box.replaceChildren(el("div", { class: "amount" }, `${r.amount} 元（${r.upper}）`),
      r.bands.length ? table({ title: "分段补助", headers: ["分段", "段内金额", "比例", "补助"], rows: r.bands }) : "",
      el("div", { class: "lines" }, r.lines.join("\n")));
  } catch (error) { box.replaceChildren(el("div", { class: "error" }, error.message)); }
});

(async () => {
  const meta = await api("/api/meta");
  for (const p of meta.policies) {
    const label = `${p.id}　${p.name}` + (p.id === meta.default ? "（默认）" : "");
    $("#policy").append(el("option", { value: p.id }, label));
    $("#policy_view").append(el("option", { value: p.id }, label));
  }
  $("#policy_view").value = meta.default;
  $("#policy_view").addEventListener("change", e => showPolicy(e.target.value));
  showPolicy(meta.default);
  for (const f of meta.notice_fields) {
    const input = f.multiline ? el("textarea", { name: f.name }) : el("input", { name: f.name });
    $("#notice .notice-fields").append(el("label", { class: f.multiline ? "wide" : "" }, f.label, input));
  }
  for (const [name, label] of Object.entries(meta.calc_fields)) {
    $("#calc .calc-fields").append(el("label", {}, label, el("input", { name })));
  }
})().catch(error => document.body.prepend(el("div", { class: "error" }, error.message)));
