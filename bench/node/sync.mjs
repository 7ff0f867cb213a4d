// The client the providers' tutorials show: axios, a Bearer header, one page after another,
// every record pushed into one array. Prints one JSON line: records and seconds (paging only).
//
//   node sync.mjs SANDBOX_URL whatconverts|clickfunnels TOKEN
import axios from 'axios';

const [base, provider, token] = process.argv.slice(2);
if (!base || !provider || !token) {
  console.error('usage: node sync.mjs SANDBOX_URL whatconverts|clickfunnels TOKEN');
  process.exit(2);
}
const api = axios.create({
  baseURL: base,
  headers: { Authorization: `Bearer ${token}` },
  timeout: 30000,
});

// WhatConverts' tutorial: page_number until total_pages, at the largest page (250).
async function whatconverts() {
  const leads = [];
  let page = 1;
  for (;;) {
    const res = await api.get('/whatconverts/api/v1/leads', {
      params: { page_number: page, leads_per_page: 250 },
    });
    leads.push(...res.data.leads);
    if (res.data.page_number >= res.data.total_pages) break;
    page += 1;
  }
  return leads;
}

// ClickFunnels 2.0: the workspace from /me, then follow the Pagination-Next header.
async function clickfunnels() {
  const me = await api.get('/clickfunnels/api/v2/me');
  const ws = me.data.teams[0].workspaces[0].id;
  const contacts = [];
  let after;
  for (;;) {
    const res = await api.get(`/clickfunnels/api/v2/workspaces/${ws}/contacts`, {
      params: after === undefined ? { limit: 100 } : { limit: 100, after },
    });
    contacts.push(...res.data);
    after = res.headers['pagination-next'];
    if (!after) break;
  }
  return contacts;
}

const run = { whatconverts, clickfunnels }[provider];
if (!run) {
  console.error(`unknown provider ${provider}`);
  process.exit(2);
}
const start = performance.now();
const records = await run();
const seconds = (performance.now() - start) / 1000;
const peak_rss_kib = process.resourceUsage().maxRSS; // KiB on Linux
console.log(JSON.stringify({ client: 'node-axios', provider, records: records.length, seconds, peak_rss_kib }));
