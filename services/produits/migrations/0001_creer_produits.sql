-- The catalogue. Money is NUMERIC(12,2), never a float; the checks repeat the API's rules
-- so that nothing written by another path (psql, a future consumer) can break them.
CREATE TABLE produits (
    id                BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    nom               TEXT NOT NULL CHECK (char_length(nom) BETWEEN 1 AND 200),
    description       TEXT NOT NULL DEFAULT '',
    prix              NUMERIC(12, 2) NOT NULL CHECK (prix > 0),
    quantite_en_stock INTEGER NOT NULL CHECK (quantite_en_stock >= 0),
    image_url         TEXT,
    cree_le           TIMESTAMPTZ NOT NULL DEFAULT now(),
    modifie_le        TIMESTAMPTZ NOT NULL DEFAULT now()
);
