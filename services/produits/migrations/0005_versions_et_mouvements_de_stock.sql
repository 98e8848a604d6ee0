-- Product versions (the ETag of a product) and the journal of stock adjustments.
--
-- Numbered 0005, not 0003: versions 0003 and 0004 were produits' former outbox migrations
-- (now socle's 1001), still recorded in `_sqlx_migrations` on databases made before; a new
-- file under one of those numbers would not match the checksum recorded there.

-- Every write to a product bumps its version, whoever makes it: the API, the stock consumer,
-- psql. A trigger rather than `version = version + 1` in each statement, so that no writer
-- can forget it: a write sent with `If-Match` applies only to the version its client read,
-- and a write that slipped past the counter would let an old read overwrite it.
ALTER TABLE produits ADD COLUMN version BIGINT NOT NULL DEFAULT 1;

CREATE FUNCTION versionner_produit() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.version := OLD.version + 1;
    RETURN NEW;
END;
$$;

CREATE TRIGGER versionner_produit
BEFORE UPDATE ON produits
FOR EACH ROW EXECUTE FUNCTION versionner_produit();

-- One row per relative adjustment (`POST /api/produits/{id}/stock`): why the stock moved, by
-- how much, and what it became. No foreign key: the history of a deleted product stays.
CREATE TABLE mouvements_stock (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    produit_id    BIGINT NOT NULL,
    delta         INTEGER NOT NULL CHECK (delta <> 0),
    raison        TEXT NOT NULL CHECK (char_length(raison) BETWEEN 1 AND 200),
    stock_apres   INTEGER NOT NULL CHECK (stock_apres >= 0),
    version_apres BIGINT NOT NULL,
    fait_le       TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE INDEX mouvements_stock_par_produit ON mouvements_stock (produit_id, id);
