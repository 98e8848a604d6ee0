-- What each order holds: one row per order and product that the stock consumer reserved, so
-- that a cancelled order gives back exactly what IT took, once.
--
-- Numbered 0007: 0003 and 0004 are still recorded in `_sqlx_migrations` on databases made
-- before socle took the outbox over (see 0005), and are never reused.
--
-- Written by `reservation.rs` in the transaction that decrements the stock; `liberation.rs`
-- gives a row back with `UPDATE … SET libere_le = now() WHERE … AND libere_le IS NULL`, so
-- however many `stock.libere` arrive for one order (redeliveries, or distinct events), only
-- the first one finds rows to give back. An order reserved before this table existed has no
-- rows: releasing it gives nothing back (nothing can tell what it held).
--
-- Keyed by the order's reference (a UUID: unique across every commandes database) and the
-- product; no foreign key to `produits`: a product deleted while an order holds some of it
-- keeps the row (the release then has nothing to put the units back on).
CREATE TABLE reservations (
    reference   UUID NOT NULL,
    id_commande BIGINT NOT NULL,
    produit_id  BIGINT NOT NULL,
    quantite    INTEGER NOT NULL CHECK (quantite > 0),
    reserve_le  TIMESTAMPTZ NOT NULL DEFAULT now(),
    -- NULL while the order holds the units; set once, when they are given back.
    libere_le   TIMESTAMPTZ,
    PRIMARY KEY (reference, produit_id)
);

-- Released rows are deleted after RETENTION_JOURS (socle's retention, `libere_le < …`, never
-- true of a NULL: what an order still holds is kept). Partial: only released rows are
-- looked for.
CREATE INDEX reservations_liberees ON reservations (libere_le) WHERE libere_le IS NOT NULL;
