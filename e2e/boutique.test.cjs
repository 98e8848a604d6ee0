// Browser end-to-end tests of the storefront, through the Traefik gateway, in headless
// Chromium driven by playwright-core (Debian's chromium: no browser is ever downloaded).
// Run by `cargo xtask test` with node's test runner; it starts the whole shop first and
// passes BASE_URL, MAILDEV_URL and CAPTURES (where screenshots go).
'use strict';

const { test, before, after, afterEach } = require('node:test');
const assert = require('node:assert/strict');
const { chromium } = require('playwright-core');

const BASE = process.env.BASE_URL || 'http://127.0.0.1:28000';
const MAILDEV = process.env.MAILDEV_URL || 'http://127.0.0.1:18025';
const CAPTURES = process.env.CAPTURES || '/tmp/captures';
const EXECUTABLE = process.env.CHROMIUM || '/usr/bin/chromium';
const unique = Date.now().toString(36);

let navigateur;

before(async () => {
  require('node:fs').mkdirSync(CAPTURES, { recursive: true });
  navigateur = await chromium.launch({
    executablePath: EXECUTABLE,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
  });
});

after(async () => {
  await navigateur?.close();
});

async function page() {
  const contexte = await navigateur.newContext({ viewport: { width: 1100, height: 900 } });
  const p = await contexte.newPage();
  p.on('pageerror', (e) => console.error('erreur dans la page :', e.message));
  // Leptos warns here when an island of the page has no WASM export of that name (the
  // server's and the browser's builds disagree): the page then never becomes interactive.
  p.on('console', (m) => {
    if (m.type() === 'warning' || m.type() === 'error') console.error('console :', m.text(), m.location().url || '');
    if (/Content Security Policy|Content-Security-Policy/i.test(m.text())) violationsCsp.push(`${m.location().url || ''} : ${m.text()}`);
  });
  return p;
}

// Every Content-Security-Policy violation the browser reports fails the test it happened in.
const violationsCsp = [];
afterEach(() => {
  assert.deepEqual(violationsCsp.splice(0), [], 'violations de la Content-Security-Policy');
});

// Every island of the page is hydrated (the app marks <body> when the last one is).
async function hydratee(p) {
  await p.waitForSelector('body[data-hydrate="ok"]', { timeout: 30000 });
}

async function capture(p, nom) {
  await p.screenshot({ path: `${CAPTURES}/${nom}.png`, fullPage: true });
}

async function courriels(adresse) {
  const r = await fetch(`${MAILDEV}/api/email?to.address=${encodeURIComponent(adresse)}`);
  return r.json();
}

async function exactementUnCourriel(adresse) {
  const limite = Date.now() + 60000;
  let recus = [];
  while (Date.now() < limite) {
    recus = await courriels(adresse);
    if (recus.length >= 1) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  await new Promise((r) => setTimeout(r, 1000));
  recus = await courriels(adresse);
  assert.equal(recus.length, 1, `un seul courriel attendu pour ${adresse}`);
  return recus[0];
}

async function stockAffiche(p, id) {
  await p.goto(`${BASE}/produits/${id}`);
  return Number(await p.getAttribute('.stock', 'data-stock'));
}

/// Adds `quantite` of product `id` to the cart from its page.
async function ajouter(p, id, quantite) {
  await p.goto(`${BASE}/produits/${id}`);
  await hydratee(p);
  await p.fill('#quantite', String(quantite));
  await p.click('button:has-text("Ajouter au panier")');
  await p.waitForSelector('.confirmation');
}

test('le catalogue s’affiche avant même le WASM, rendu par le serveur', async () => {
  const r = await fetch(`${BASE}/`);
  assert.equal(r.status, 200);
  const html = await r.text();
  assert.match(html, /Lampe de bureau Lugano/);
  assert.match(html, /CHF 89\.90/);
  const introuvable = await fetch(`${BASE}/pas/une/page`);
  assert.equal(introuvable.status, 404);
  assert.match(await introuvable.text(), /Page introuvable/);
});

test('un client cherche, remplit son panier, commande et reçoit un seul courriel', async () => {
  const p = await page();
  await p.goto(`${BASE}/`);
  await hydratee(p);
  assert.ok(await p.locator('.carte').count() >= 10);
  await capture(p, 'catalogue');

  await p.fill('#q', 'tasse');
  await Promise.all([p.waitForURL(/q=tasse/), p.press('#q', 'Enter')]);
  await p.waitForSelector('.carte');
  assert.equal(await p.locator('.carte').count(), 1);
  await p.click('.carte a');
  await p.waitForURL(/\/produits\/2$/);
  await hydratee(p);
  await capture(p, 'produit');

  const stockTasse = await stockAffiche(p, 2);
  await ajouter(p, 2, 2);
  await ajouter(p, 1, 1);

  await p.goto(`${BASE}/panier`);
  await p.reload();
  await hydratee(p);
  await p.waitForSelector('table.lignes tbody tr');
  assert.equal(await p.locator('table.lignes tbody tr').count(), 2, 'le panier survit au rechargement');
  const total = (await p.textContent('.total strong')).trim();
  assert.equal(total, 'CHF 126.90');
  await capture(p, 'panier');

  const email = `e2e.${unique}@example.com`;
  await p.fill('#email', email);
  await Promise.all([p.waitForURL(/\/commandes\/[0-9a-f-]{36}$/), p.click('button[type="submit"]')]);
  const url = p.url();
  let navigations = 0;
  p.on('framenavigated', () => { navigations += 1; });
  await p.waitForSelector('[data-statut="confirmee"]', { timeout: 60000 });
  assert.equal(navigations, 0, 'le statut change sans recharger la page');
  assert.equal(p.url(), url);
  assert.equal((await p.textContent('.statut')).trim(), 'confirmée');
  assert.equal((await p.textContent('.total strong')).trim(), total);
  await capture(p, 'commande');

  const courriel = await exactementUnCourriel(email);
  assert.match(courriel.text, new RegExp(`Total : ${total.replace('.', '\\.')}`));
  assert.equal(await stockAffiche(p, 2), stockTasse - 2, 'le stock de la tasse a baissé');
});

test('une commande plus grande que le stock est annulée avec un courriel d’excuses', async () => {
  const p = await page();
  await ajouter(p, 11, 1);
  await p.goto(`${BASE}/panier`);
  await hydratee(p);
  await p.waitForSelector('table.lignes tbody tr');
  const champ = p.locator('table.lignes input[type="number"]');
  await champ.fill('50');
  await champ.press('Tab');
  const email = `e2e.annule.${unique}@example.com`;
  await p.fill('#email', email);
  await Promise.all([p.waitForURL(/\/commandes\//), p.click('button[type="submit"]')]);
  await p.waitForSelector('[data-statut="annulee"]', { timeout: 60000 });
  const courriel = await exactementUnCourriel(email);
  assert.match(courriel.subject, /annulée/);
  assert.match(courriel.text, /désolés/);
});

test('une adresse e-mail invalide affiche le message de l’API', async () => {
  const p = await page();
  await ajouter(p, 3, 1);
  await p.goto(`${BASE}/panier`);
  await hydratee(p);
  await p.fill('#email', 'pas-une-adresse');
  await p.click('button[type="submit"]');
  await p.waitForSelector('#email-erreur:has-text("adresse e-mail valide")');
  assert.match(await p.textContent('#email-erreur'), /pas-une-adresse/);
  assert.equal(await p.getAttribute('#email', 'aria-invalid'), 'true');
  assert.match(p.url(), /\/panier$/);
  await capture(p, 'erreur-email');
});

test('les pages portent une CSP à nonce, sans unsafe-inline, et le Swagger UI s’affiche sous la sienne', async () => {
  const r = await fetch(`${BASE}/`);
  const csp = r.headers.get('content-security-policy') || '';
  const nonce = /'nonce-([^']+)'/.exec(csp)?.[1];
  assert.ok(nonce, csp);
  assert.doesNotMatch(csp.match(/script-src[^;]*/)[0], /unsafe-inline/);
  const html = await r.text();
  assert.ok(html.includes(`nonce="${nonce}"`), 'le script d’hydratation porte le nonce');
  assert.notEqual((await fetch(`${BASE}/`)).headers.get('content-security-policy'), csp, 'un nonce par réponse');
  // An inline script without the nonce is refused by the browser (the policy really applies).
  const p = await page();
  await p.goto(`${BASE}/`);
  await hydratee(p);
  const bloque = await p.evaluate(() => new Promise((fin) => {
    document.addEventListener('securitypolicyviolation', () => fin(true), { once: true });
    const s = document.createElement('script');
    s.textContent = 'window.__injecte = true;';
    document.body.appendChild(s);
    setTimeout(() => fin(false), 2000);
  }));
  assert.equal(bloque, true);
  assert.equal(await p.evaluate(() => window.__injecte), undefined);
  await p.close();
  violationsCsp.splice(0); // the one violation above was on purpose
  for (const docs of ['/produits/docs/', '/api/commandes/docs/']) {
    const s = await page();
    await s.goto(`${BASE}${docs}`);
    await s.waitForSelector('.swagger-ui .info .title', { timeout: 30000 });
    await s.close();
  }
});

test('une référence de commande qui n’est pas un UUID donne la page 404, sans appel détourné', async () => {
  // `%2F` decodes to `/`: unchecked, this would have asked commandes for `/api/ready`.
  for (const chemin of ['/commandes/..%2F..%2Fready', '/commandes/pas-un-uuid']) {
    const r = await fetch(`${BASE}${chemin}`);
    assert.equal(r.status, 404, chemin);
    assert.match(await r.text(), /introuvable/i, chemin);
  }
});

test('ni le tableau de bord de Traefik ni les métriques ne sont servis sur le port de la boutique', async () => {
  for (const chemin of ['/dashboard/', '/api/rawdata', '/api/overview', '/metrics']) {
    const r = await fetch(`${BASE}${chemin}`);
    assert.equal(r.status, 404, chemin);
    assert.match(r.headers.get('content-type') || '', /text\/html/, chemin);
  }
});

// Last: it spends this address's order budget at the gateway.
test('trop de commandes d’une même adresse reçoivent un 429 en JSON à la passerelle', async () => {
  let reponse;
  for (let i = 0; i < 40; i++) {
    // An invalid body: the gateway counts it, commandes answers 422 and stores nothing.
    reponse = await fetch(`${BASE}/api/commandes`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    if (reponse.status === 429) break;
    assert.equal(reponse.status, 422);
  }
  assert.equal(reponse.status, 429);
  assert.match(reponse.headers.get('content-type') || '', /application\/json/);
  const corps = await reponse.json();
  assert.equal(corps.code, 'trop_de_requetes');
  assert.match(corps.erreur, /trop de commandes/);
  // Reading orders is not limited.
  const r = await fetch(`${BASE}/api/commandes/${crypto.randomUUID()}`);
  assert.equal(r.status, 404);
});
