-- The relay is now woken in-process by the code that commits outbox rows (socle::outbox),
-- with a poll for rows another replica left. A NOTIFY made every notifying commit take a
-- cluster-wide lock until its WAL was flushed: the orders' commits ran one at a time.
DROP TRIGGER outbox_nouveau ON outbox;
DROP FUNCTION notifier_outbox();
