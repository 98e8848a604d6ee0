-- The retention job (src/retention.rs) deletes published outbox rows and inbox ids older
-- than RETENTION_JOURS, 1 000 rows per statement: without these indexes each batch would
-- scan the whole table to find its rows.
CREATE INDEX IF NOT EXISTS outbox_publiees ON outbox (publie_le) WHERE publie_le IS NOT NULL;
CREATE INDEX IF NOT EXISTS evenements_traites_par_date ON evenements_traites (traite_le);
