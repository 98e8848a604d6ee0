-- Transactional outbox: an event is written in the same transaction as the change it
-- announces, then published by the relay (socle::outbox) with publisher confirms. A row
-- stays unpublished (publie_le NULL) until the broker confirmed it, so no event is lost when
-- RabbitMQ is down. The payload is kept as text: byte-exact, decimals included.
CREATE TABLE outbox (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id_evenement UUID NOT NULL UNIQUE,
    routing_key  TEXT NOT NULL,
    charge       TEXT NOT NULL,
    cree_le      TIMESTAMPTZ NOT NULL DEFAULT now(),
    publie_le    TIMESTAMPTZ
);

-- The relay only ever looks for unpublished rows.
CREATE INDEX outbox_a_publier ON outbox (id) WHERE publie_le IS NULL;

-- Wakes the relays up at once instead of waiting for their next poll.
CREATE FUNCTION notifier_outbox() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('outbox', '');
    RETURN NULL;
END;
$$;

CREATE TRIGGER outbox_nouveau
AFTER INSERT ON outbox
FOR EACH STATEMENT EXECUTE FUNCTION notifier_outbox();

-- Inbox: the ids of the `commande.nouvelle` events already applied to the stock. Recording
-- the id in the same transaction as the stock change makes a redelivered event a no-op.
CREATE TABLE evenements_traites (
    id_evenement UUID PRIMARY KEY,
    traite_le    TIMESTAMPTZ NOT NULL DEFAULT now()
);
