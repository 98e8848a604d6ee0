-- Orders and their lines. Names and prices are copied from produits at order time, so an
-- order keeps what the customer saw even if the catalogue changes later. Money is NUMERIC.
CREATE TABLE commandes (
    id                BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- Public, unguessable handle of the order (the integer id is sequential).
    reference         UUID NOT NULL UNIQUE,
    email             TEXT NOT NULL,
    statut            TEXT NOT NULL DEFAULT 'en_attente'
                      CHECK (statut IN ('en_attente', 'confirmee', 'annulee')),
    total             NUMERIC(14, 2) NOT NULL CHECK (total > 0),
    -- Idempotency-Key of the POST that created it, and a fingerprint of that request so a
    -- key reused for a different order is refused instead of answered with the wrong order.
    cle_idempotence   TEXT UNIQUE,
    empreinte         TEXT NOT NULL,
    cree_le           TIMESTAMPTZ NOT NULL DEFAULT now(),
    modifie_le        TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE lignes_commande (
    commande_id   BIGINT NOT NULL REFERENCES commandes (id) ON DELETE CASCADE,
    produit_id    BIGINT NOT NULL,
    nom           TEXT NOT NULL,
    prix_unitaire NUMERIC(12, 2) NOT NULL CHECK (prix_unitaire > 0),
    quantite      INTEGER NOT NULL CHECK (quantite BETWEEN 1 AND 1000),
    sous_total    NUMERIC(14, 2) NOT NULL,
    PRIMARY KEY (commande_id, produit_id)
);

-- The admin list shows the newest first.
CREATE INDEX commandes_par_date ON commandes (cree_le DESC, id DESC);
