-- The outbox and inbox tables of every service that publishes or consumes events, owned by
-- socle (its code is their only reader and writer: src/outbox.rs, src/amqp). socle's
-- migrations are numbered from 1001 so they never meet a service's own (below 1000); both
-- sets share sqlx's `_sqlx_migrations` table and each ignores the other's versions.
--
-- Databases made before socle owned these tables already have them, created by the
-- services' former migrations (produits 0003-0004, commandes 0002-0003, now removed):
-- IF NOT EXISTS leaves those tables, their indexes and their rows exactly as they are.

-- Transactional outbox: an event is written in the same transaction as the change it
-- announces, then published by the relay with publisher confirms. A row stays unpublished
-- (publie_le NULL) until the broker confirmed it, so no event is lost while RabbitMQ is down.
-- The payload is kept as text: byte-exact, decimals included.
CREATE TABLE IF NOT EXISTS outbox (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id_evenement UUID NOT NULL UNIQUE,
    routing_key  TEXT NOT NULL,
    charge       TEXT NOT NULL,
    cree_le      TIMESTAMPTZ NOT NULL DEFAULT now(),
    publie_le    TIMESTAMPTZ
);

-- The relay only ever looks for unpublished rows.
CREATE INDEX IF NOT EXISTS outbox_a_publier ON outbox (id) WHERE publie_le IS NULL;

-- Inbox: the ids of the events a consumer already applied. Recording the id in the same
-- transaction as the change makes a redelivered event a no-op.
CREATE TABLE IF NOT EXISTS evenements_traites (
    id_evenement UUID PRIMARY KEY,
    traite_le    TIMESTAMPTZ NOT NULL DEFAULT now()
);
