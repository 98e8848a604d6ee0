-- paiements' own tables (socle's outbox and inbox come from socle's migrations, 1001+).
--
-- No card number and no CVC is ever stored: a payment keeps the card's brand and last four
-- digits only, and the Idempotency-Key fingerprint is a SHA-256 digest (src/domaine.rs).

-- What each order owes, learnt from commandes' events on `paiements_commandes`, never from
-- the customer. `commande.a_payer` creates the row; `commande.annulee` sets `annulee_le`,
-- creating the row when it comes first (a tombstone: the order is cancelled for good, and a
-- late `commande.a_payer` must not reopen it). A payment locks its order's row
-- (`SELECT … FOR UPDATE`) while the provider answers, so that one order is captured once.
CREATE TABLE commandes_a_payer (
    reference   UUID PRIMARY KEY,
    id_commande BIGINT NOT NULL,
    -- CHF, exact: what the order's total was when commandes announced it.
    montant     NUMERIC(12, 2) NOT NULL CHECK (montant > 0),
    annulee_le  TIMESTAMPTZ,
    cree_le     TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- Every payment attempt: captured (`accepte`), declined (`refuse`, with why), or captured
-- then refunded (`rembourse`, with when). An attempt the provider did not answer in time is
-- not stored at all (nothing was captured).
CREATE TABLE paiements (
    id_paiement      UUID PRIMARY KEY,
    reference        UUID NOT NULL REFERENCES commandes_a_payer (reference),
    statut           TEXT NOT NULL CHECK (statut IN ('accepte', 'refuse', 'rembourse')),
    montant          NUMERIC(12, 2) NOT NULL CHECK (montant > 0),
    marque           TEXT NOT NULL CHECK (marque IN ('visa', 'mastercard', 'amex', 'carte')),
    quatre_derniers  TEXT NOT NULL CHECK (quatre_derniers ~ '^[0-9]{4}$'),
    motif_refus      TEXT CHECK (motif_refus IN ('carte_refusee', 'fonds_insuffisants')),
    -- The client's Idempotency-Key, and the digest of what it asked (order, card, expiry,
    -- CVC): the same key with another request is refused rather than replayed.
    cle_idempotence  TEXT NOT NULL UNIQUE,
    empreinte        TEXT NOT NULL CHECK (empreinte ~ '^[0-9a-f]{64}$'),
    cree_le          TIMESTAMPTZ NOT NULL DEFAULT now(),
    rembourse_le     TIMESTAMPTZ,
    CHECK ((statut = 'refuse') = (motif_refus IS NOT NULL)),
    CHECK ((statut = 'rembourse') = (rembourse_le IS NOT NULL))
);

-- At most one captured payment per order, refunded or not: the database's own guarantee,
-- behind the row lock the API takes (a second capture is a unique violation, never a row).
CREATE UNIQUE INDEX un_paiement_capture_par_commande ON paiements (reference)
    WHERE statut IN ('accepte', 'rembourse');

-- A cancellation looks up the order's captured payment; declined attempts are listed too.
CREATE INDEX paiements_par_commande ON paiements (reference);
