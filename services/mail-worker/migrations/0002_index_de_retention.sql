-- The retention job deletes claims older than RETENTION_JOURS, 1 000 rows per statement:
-- this index finds them without scanning the table.
CREATE INDEX emails_envoyes_par_date ON emails_envoyes (envoye_le);
