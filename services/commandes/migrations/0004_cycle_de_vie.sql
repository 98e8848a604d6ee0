-- The order lifecycle (issue 11): en_attente → a_payer → confirmee → expediee, or annulee
-- (with a reason) along the way; the delivery address asked at checkout; the payment and the
-- shipment as the order shows them; and the history of every step.
--
-- Numbered 0004, not 0002: databases made before socle owned the outbox have commandes'
-- former 0002 and 0003 (the outbox, since removed) recorded in `_sqlx_migrations`, and sqlx
-- would refuse a different file under an applied version (see README, « Migrations »).

-- Five statuses instead of three (the column's CHECK was named by PostgreSQL in 0001).
ALTER TABLE commandes DROP CONSTRAINT commandes_statut_check;
ALTER TABLE commandes ADD CONSTRAINT commandes_statut_check
    CHECK (statut IN ('en_attente', 'a_payer', 'confirmee', 'expediee', 'annulee'));

ALTER TABLE commandes
    -- Asked at checkout; NULL for the orders placed before (the API never writes NULL).
    ADD COLUMN nom                   TEXT CHECK (char_length(nom) BETWEEN 1 AND 100),
    ADD COLUMN adresse_rue           TEXT CHECK (char_length(adresse_rue) BETWEEN 1 AND 200),
    ADD COLUMN adresse_npa           TEXT CHECK (adresse_npa ~ '^[1-9][0-9]{3}$'),
    ADD COLUMN adresse_localite      TEXT CHECK (char_length(adresse_localite) BETWEEN 1 AND 100),
    -- Why it was cancelled: set with the status `annulee`, and only then.
    ADD COLUMN raison_annulation     TEXT
        CHECK (raison_annulation IN ('stock', 'expiree', 'client', 'boutique')),
    -- When an order waiting for its payment lapses (the expiry scan reads it).
    ADD COLUMN echeance_paiement     TIMESTAMPTZ,
    -- The payment captured: never the card number, only its brand and last four digits.
    ADD COLUMN id_paiement           UUID,
    ADD COLUMN carte_marque          TEXT,
    ADD COLUMN carte_quatre_derniers TEXT CHECK (carte_quatre_derniers ~ '^[0-9]{4}$'),
    ADD COLUMN paye_le               TIMESTAMPTZ,
    ADD COLUMN rembourse_le          TIMESTAMPTZ,
    -- The shipment, set by the shop.
    ADD COLUMN transporteur          TEXT CHECK (char_length(transporteur) BETWEEN 1 AND 100),
    ADD COLUMN numero_suivi          TEXT CHECK (char_length(numero_suivi) BETWEEN 1 AND 100),
    ADD COLUMN expediee_le           TIMESTAMPTZ;

-- Before the lifecycle an order was only ever cancelled for lack of stock.
UPDATE commandes SET raison_annulation = 'stock' WHERE statut = 'annulee';

-- What holds together, whatever writes the row.
ALTER TABLE commandes
    ADD CONSTRAINT commandes_adresse_complete CHECK (
        (adresse_rue IS NULL) = (adresse_npa IS NULL)
        AND (adresse_npa IS NULL) = (adresse_localite IS NULL)),
    ADD CONSTRAINT commandes_raison_si_annulee CHECK (
        (statut = 'annulee') = (raison_annulation IS NOT NULL)),
    ADD CONSTRAINT commandes_echeance_si_a_payer CHECK (
        statut <> 'a_payer' OR echeance_paiement IS NOT NULL),
    ADD CONSTRAINT commandes_paiement_complet CHECK (
        (id_paiement IS NULL) = (carte_marque IS NULL)
        AND (id_paiement IS NULL) = (carte_quatre_derniers IS NULL)
        AND (id_paiement IS NULL) = (paye_le IS NULL)
        AND (rembourse_le IS NULL OR id_paiement IS NOT NULL)),
    ADD CONSTRAINT commandes_expedition_si_expediee CHECK (
        (statut = 'expediee') = (expediee_le IS NOT NULL)
        AND (expediee_le IS NULL) = (transporteur IS NULL)
        AND (expediee_le IS NULL) = (numero_suivi IS NULL));

-- The expiry scan looks for due orders among those waiting for payment only: a small,
-- moving set, where a full index would mostly hold orders long paid or cancelled.
CREATE INDEX commandes_a_payer_par_echeance ON commandes (echeance_paiement)
    WHERE statut = 'a_payer';

-- Every step of an order, oldest first (`le`, then `id` for steps of one transaction).
CREATE TABLE historique_commandes (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    commande_id BIGINT NOT NULL REFERENCES commandes (id) ON DELETE CASCADE,
    etape       TEXT NOT NULL CHECK (etape IN ('recue', 'a_payer', 'paiement_refuse',
                                               'confirmee', 'annulee', 'expediee', 'remboursee')),
    -- The order's status after this step.
    statut      TEXT NOT NULL
                CHECK (statut IN ('en_attente', 'a_payer', 'confirmee', 'expediee', 'annulee')),
    raison      TEXT CHECK (raison IN ('stock', 'expiree', 'client', 'boutique')),
    -- The declined attempt, for `paiement_refuse` (an order may be declined several times).
    id_paiement UUID,
    le          TIMESTAMPTZ NOT NULL DEFAULT now(),
    CHECK ((etape = 'paiement_refuse') = (id_paiement IS NOT NULL)),
    CHECK ((etape = 'annulee') = (raison IS NOT NULL))
);

-- Each step happens once per order, a declined payment once per attempt: a duplicate
-- `paiement.refuse` adds nothing (NULLS NOT DISTINCT: PostgreSQL 15).
CREATE UNIQUE INDEX historique_une_fois_par_etape
    ON historique_commandes (commande_id, etape, id_paiement) NULLS NOT DISTINCT;

-- The orders placed before have their first step; the cancelled ones their cancellation
-- (for lack of stock, at their last change). A confirmation then meant « stock reserved »,
-- not « paid »: it gets no entry rather than a wrong one.
INSERT INTO historique_commandes (commande_id, etape, statut, le)
SELECT id, 'recue', 'en_attente', cree_le FROM commandes;
INSERT INTO historique_commandes (commande_id, etape, statut, raison, le)
SELECT id, 'annulee', 'annulee', 'stock', modifie_le FROM commandes WHERE statut = 'annulee';
