// Browser end-to-end tests of the storefront, through the Traefik gateway, in headless
// Chromium driven by playwright-core (Debian's chromium: no browser is ever downloaded).
// Run by `cargo xtask test` and `cargo xtask e2e` with node's test runner, one test at a time
// in this order; it starts the whole shop first (commandes with DELAI_PAIEMENT=20 s, so that
// an order expires during the run) and passes BASE_URL, MAILDEV_URL and CAPTURES (where
// screenshots go). The rate-limit test stays LAST: it spends this address's order budget.
'use strict';

const { test, before, after, afterEach } = require('node:test');
const assert = require('node:assert/strict');
const { chromium } = require('playwright-core');

const BASE = process.env.BASE_URL || 'http://127.0.0.1:28000';
const MAILDEV = process.env.MAILDEV_URL || 'http://127.0.0.1:18025';
const CAPTURES = process.env.CAPTURES || '/tmp/captures';
const EXECUTABLE = process.env.CHROMIUM || '/usr/bin/chromium';
// The e2e stack's commandes runs on loopback with the development admin token.
const ADMIN_TOKEN = process.env.ADMIN_TOKEN || 'dev-admin-token';
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

// Each step of an order sends its own email: waits for the one whose subject matches `sujet`,
// then checks (a second later) that no step was mailed twice.
async function courrielDeLEtape(adresse, sujet) {
  const limite = Date.now() + 60000;
  let recus = [];
  while (Date.now() < limite) {
    recus = await courriels(adresse);
    if (recus.some((c) => sujet.test(c.subject))) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  await new Promise((r) => setTimeout(r, 1000));
  recus = await courriels(adresse);
  const sujets = recus.map((c) => c.subject);
  assert.deepEqual(sujets, [...new Set(sujets)], `un seul courriel par étape pour ${adresse}`);
  const courriel = recus.find((c) => sujet.test(c.subject));
  assert.ok(courriel, `un courriel « ${sujet} » pour ${adresse} (reçus : ${sujets.join(' | ')})`);
  return courriel;
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

/// Fills the checkout of the cart page (name and a Swiss address unless told otherwise).
async function remplirCaisse(p, champs) {
  const valeurs = { nom: 'Ada Lovelace', rue: 'Rue du Lac 12', npa: '1003', localite: 'Lausanne', ...champs };
  for (const [id, valeur] of Object.entries(valeurs)) await p.fill(`#${id}`, valeur);
}

/// From the cart page: checkout, « Valider la commande », and the order page, hydrated.
async function validerLaCommande(p, email) {
  await remplirCaisse(p, { email });
  await Promise.all([
    p.waitForURL(/\/commandes\/[0-9a-f-]{36}$/),
    p.click('button:has-text("Valider la commande")'),
  ]);
  await hydratee(p);
}

/// Orders `quantite` of product `id` and lands on the order page, once it is « à payer ».
async function commanderPuisAttendreLePaiement(p, id, quantite, email) {
  await ajouter(p, id, quantite);
  await p.goto(`${BASE}/panier`);
  await hydratee(p);
  await p.waitForSelector('table.lignes tbody tr');
  await validerLaCommande(p, email);
  await p.waitForSelector('[data-statut="a_payer"]', { timeout: 30000 });
  await p.waitForSelector('#carte-numero', { state: 'visible' });
}

/// Types a card as a customer would (key by key, so the formatting as typed is exercised) and
/// clicks « Payer ».
async function payer(p, numero, expiration = '1230', cvc = '123') {
  await p.fill('#carte-numero', '');
  await p.locator('#carte-numero').pressSequentially(numero.replace(/ /g, ''));
  await p.fill('#carte-expiration', '');
  await p.locator('#carte-expiration').pressSequentially(expiration);
  await p.fill('#carte-cvc', cvc);
  await p.click('button:has-text("Payer")');
}

/// The Idempotency-Key of every POST /api/paiements the page sends.
function clesDePaiement(p) {
  const cles = [];
  p.on('request', (r) => {
    if (r.method() === 'POST' && new URL(r.url()).pathname === '/api/paiements') {
      cles.push(r.headers()['idempotency-key']);
    }
  });
  return cles;
}

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

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

test('un client cherche, remplit son panier, commande, paie et voit sa commande confirmée puis expédiée sans recharger', async () => {
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
  const email = `e2e.${unique}@example.com`;
  await remplirCaisse(p, { email });
  await capture(p, 'panier');

  await validerLaCommande(p, email);
  const url = p.url();
  const reference = url.split('/').pop();
  let navigations = 0;
  p.on('framenavigated', () => { navigations += 1; });
  let lectures = 0;
  p.on('request', (r) => { if (r.url().endsWith(`/api/commandes/${reference}`)) lectures += 1; });
  await p.waitForSelector('[data-statut="a_payer"]', { timeout: 30000 });
  assert.equal((await p.textContent('.statut')).trim(), 'à payer');
  assert.match(await p.textContent('.echeance'), /Temps restant pour payer : \d\d:\d\d/);
  assert.match(await p.textContent('.livraison'), /Ada Lovelace.*Rue du Lac 12.*1003 Lausanne/s);
  await p.waitForSelector('#carte-numero', { state: 'visible' });
  await capture(p, 'commande-a-payer');

  await payer(p, '4242 4242 4242 4242');
  assert.equal(await p.inputValue('#carte-numero'), '4242 4242 4242 4242', 'groupé par quatre pendant la saisie');
  assert.equal(await p.inputValue('#carte-expiration'), '12/30');
  await p.waitForSelector('[data-statut="confirmee"]', { timeout: 60000 });
  assert.equal((await p.textContent('.statut')).trim(), 'confirmée');
  assert.equal((await p.textContent('.total strong')).trim(), total);
  await p.waitForSelector('.historique li[data-etape="confirmee"]');
  assert.match(await p.textContent('.paiement-recu'), /Payée le .* par carte visa se terminant par 4242\./);
  assert.equal(await p.isVisible('#carte-numero'), false, 'plus de formulaire de paiement');
  await capture(p, 'commande-confirmee');

  const courriel = await courrielDeLEtape(email, /est confirmée/);
  assert.match(courriel.text, new RegExp(`Total : ${total.replace('.', '\\.')}`));

  // The shop ships it: carrier and tracking number appear, and the page stops asking.
  const expedition = await fetch(`${BASE}/api/commandes/${reference}/expedition`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN_TOKEN}` },
    body: JSON.stringify({ transporteur: 'La Poste', numero_suivi: '99.00.123456.12345678' }),
  });
  assert.equal(expedition.status, 200, await expedition.text());
  await p.waitForSelector('[data-statut="expediee"]', { timeout: 30000 });
  assert.equal((await p.textContent('.statut')).trim(), 'expédiée');
  assert.match(await p.textContent('.expedition'), /par La Poste, numéro de suivi : 99\.00\.123456\.12345678/);
  await new Promise((r) => setTimeout(r, 500));
  const lecturesALaFin = lectures;
  await new Promise((r) => setTimeout(r, 4500));
  assert.equal(lectures, lecturesALaFin, 'une commande expédiée n’est plus relue');
  assert.equal(navigations, 0, 'le statut change sans recharger la page');
  assert.equal(p.url(), url);
  await capture(p, 'commande-expediee');

  assert.equal(await stockAffiche(p, 2), stockTasse - 2, 'le stock de la tasse a baissé');
});

test('une carte refusée laisse la commande à payer, puis une bonne carte la confirme, chaque essai avec sa clé', async () => {
  const p = await page();
  const cles = clesDePaiement(p);
  const email = `e2e.refus.${unique}@example.com`;
  await commanderPuisAttendreLePaiement(p, 4, 1, email);

  await payer(p, '4000 0000 0000 0002');
  await p.waitForSelector('#carte-numero-erreur:not(:empty)');
  assert.match(await p.textContent('#carte-numero-erreur'), /refusée/);
  assert.equal(await p.getAttribute('#carte-numero', 'aria-invalid'), 'true');
  assert.match(await p.textContent('.formulaire-paiement [role="alert"]'), /rien n'a été débité/);
  await p.waitForSelector('.historique li[data-etape="paiement_refuse"]', { timeout: 30000 });
  assert.equal(await p.getAttribute('.statut', 'data-statut'), 'a_payer');
  await capture(p, 'carte-refusee');

  await payer(p, '4242 4242 4242 4242');
  await p.waitForSelector('[data-statut="confirmee"]', { timeout: 60000 });
  const distinctes = [...new Set(cles)];
  assert.equal(distinctes.length, 2, `une clé par essai : ${cles.join(', ')}`);
  for (const cle of distinctes) assert.match(cle, UUID_V4);
  await courrielDeLEtape(email, /Paiement refusé/);
});

test('un client annule sa commande payée : annulée, remboursée, et son stock revient', async () => {
  const p = await page();
  const stockAvant = await stockAffiche(p, 6);
  const email = `e2e.rembourse.${unique}@example.com`;
  await commanderPuisAttendreLePaiement(p, 6, 2, email);
  await payer(p, '4242 4242 4242 4242');
  await p.waitForSelector('[data-statut="confirmee"]', { timeout: 60000 });

  await p.click('#annuler');
  await p.waitForSelector('#question-annulation:has-text("remboursé")');
  // The focus follows the step (the button the customer clicked is hidden now).
  await p.waitForFunction(() => document.activeElement?.id === 'confirmer-annulation', null, { timeout: 5000 });
  await capture(p, 'annulation-confirmer');
  await p.click('#confirmer-annulation');
  await p.waitForSelector('[data-statut="annulee"]', { timeout: 30000 });
  assert.equal((await p.textContent('.statut')).trim(), 'annulée');
  assert.match(await p.textContent('.raison'), /annulée à votre demande/);
  await p.waitForSelector('.remboursement:not([hidden])', { timeout: 60000 });
  assert.match(await p.textContent('.remboursement'), /Commande remboursée le .* se terminant par 4242\./);
  await p.waitForSelector('.historique li[data-etape="remboursee"]');
  await capture(p, 'commande-remboursee');
  await courrielDeLEtape(email, /est remboursée/);
  assert.equal(await stockAffiche(p, 6), stockAvant, 'le stock de la gourde est revenu');
});

test('une commande impayée expire à son échéance : « expirée », et son stock revient', async () => {
  const p = await page();
  const stockAvant = await stockAffiche(p, 9);
  const email = `e2e.expire.${unique}@example.com`;
  await commanderPuisAttendreLePaiement(p, 9, 2, email);
  const secondes = async () => {
    const [m, s] = (await p.textContent('.echeance time')).trim().split(':').map(Number);
    return m * 60 + s;
  };
  const avant = await secondes();
  assert.ok(avant > 0 && avant <= 20, `le délai de l’e2e est de 20 s (reste ${avant} s)`);
  await new Promise((r) => setTimeout(r, 2500));
  assert.ok((await secondes()) < avant, 'le compte à rebours avance');

  await p.waitForSelector('[data-statut="annulee"][data-raison="expiree"]', { timeout: 90000 });
  assert.equal((await p.textContent('.statut')).trim(), 'expirée');
  assert.match(await p.textContent('.raison'), /délai de paiement dépassé/);
  assert.equal(await p.isVisible('#carte-numero'), false, 'plus de formulaire de paiement');
  assert.equal(await p.isVisible('#annuler'), false, 'plus de bouton d’annulation');
  await capture(p, 'commande-expiree');
  await courrielDeLEtape(email, /a expiré/);
  assert.equal(await stockAffiche(p, 9), stockAvant, 'le stock de la souris est revenu');
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
  await validerLaCommande(p, email);
  await p.waitForSelector('[data-statut="annulee"]', { timeout: 60000 });
  assert.match(await p.textContent('.raison'), /stock insuffisant/);
  assert.equal(await p.isVisible('#carte-numero'), false);
  const courriel = await courrielDeLEtape(email, /est annulée/);
  assert.match(courriel.text, /désolés/);
});

test('les champs invalides de la caisse affichent chacun le message de l’API', async () => {
  const p = await page();
  await ajouter(p, 3, 1);
  await p.goto(`${BASE}/panier`);
  await hydratee(p);
  await remplirCaisse(p, { email: 'pas-une-adresse', nom: '', npa: '12' });
  await p.click('button:has-text("Valider la commande")');
  await p.waitForSelector('#email-erreur:has-text("adresse e-mail valide")');
  assert.match(await p.textContent('#email-erreur'), /pas-une-adresse/);
  assert.equal(await p.getAttribute('#email', 'aria-invalid'), 'true');
  await p.waitForSelector('#nom-erreur:not(:empty)');
  await p.waitForSelector('#npa-erreur:not(:empty)');
  assert.equal(await p.getAttribute('#npa', 'aria-invalid'), 'true');
  assert.equal(await p.getAttribute('#rue', 'aria-invalid'), 'false', 'la rue était bonne');
  assert.equal(await p.getAttribute('#npa', 'aria-describedby'), 'npa-erreur');
  assert.match(p.url(), /\/panier$/);
  await capture(p, 'erreurs-caisse');
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
  for (const docs of ['/produits/docs/', '/api/commandes/docs/', '/api/paiements/docs/']) {
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
