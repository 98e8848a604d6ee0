-- How instances learn that the catalogue changed, without a NOTIFY per commit.
--
-- The trigger of 0002 sent `NOTIFY produits_modifies` on every write, stock reservations
-- included: each reservation's commit took PostgreSQL's cluster-wide notify lock (commits
-- queue behind it) and every instance dropped its whole catalogue cache, so under orders the
-- catalogue was never cached. Now each product row records the transaction that last wrote
-- it, and every instance polls a few times a second for rows written by transactions that
-- had not committed at its previous poll (src/cache.rs, depot::modifications_depuis): one
-- cheap indexed query per instance and interval, whatever the number of commits.
DROP TRIGGER produits_modifies ON produits;
DROP FUNCTION notifier_produits_modifies();

-- The writing transaction's id (64 bits: never wraps). Compared with a snapshot taken at the
-- previous poll, it tells exactly which rows were committed since, whatever order the
-- transactions committed in (a version or timestamp watermark would miss a transaction that
-- began before a newer one but committed after the poll).
ALTER TABLE produits ADD COLUMN ecrit_par xid8 NOT NULL DEFAULT pg_current_xact_id();
CREATE INDEX produits_ecrit_par ON produits (ecrit_par);

CREATE OR REPLACE FUNCTION versionner_produit() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.version := OLD.version + 1;
    NEW.ecrit_par := pg_current_xact_id();
    RETURN NEW;
END;
$$;

-- A change to a product's row only changes the cached pages that show it, except one that
-- changes which products a page shows or how many match: a product added or removed, a name
-- or description changed (searches), the table emptied. Those write the transaction's id
-- here, and every page is dropped. One row: such writes are admin writes, rare, and may
-- queue on it; stock reservations never touch it.
CREATE TABLE catalogue_structure (
    unique_ligne BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (unique_ligne),
    ecrit_par    xid8 NOT NULL DEFAULT pg_current_xact_id()
);
INSERT INTO catalogue_structure DEFAULT VALUES;

CREATE FUNCTION marquer_structure() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE catalogue_structure SET ecrit_par = pg_current_xact_id();
    RETURN NULL;
END;
$$;

-- Once per statement, not per row: a bulk insert or delete marks it once.
CREATE TRIGGER structure_insertion AFTER INSERT ON produits
FOR EACH STATEMENT EXECUTE FUNCTION marquer_structure();
CREATE TRIGGER structure_suppression AFTER DELETE ON produits
FOR EACH STATEMENT EXECUTE FUNCTION marquer_structure();
CREATE TRIGGER structure_vidage AFTER TRUNCATE ON produits
FOR EACH STATEMENT EXECUTE FUNCTION marquer_structure();
-- Per row, to look at what changed: a stock-only update must not mark the structure.
CREATE TRIGGER structure_texte AFTER UPDATE ON produits
FOR EACH ROW
WHEN (OLD.nom IS DISTINCT FROM NEW.nom OR OLD.description IS DISTINCT FROM NEW.description)
EXECUTE FUNCTION marquer_structure();
