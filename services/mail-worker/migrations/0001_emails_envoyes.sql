-- What the worker has sent: one row per order outcome. A redelivered event whose row exists
-- is acknowledged without sending again. The row is written right after the SMTP server
-- accepted the message (see README: the remaining duplicate window).
CREATE TABLE emails_envoyes (
    reference    UUID NOT NULL,
    statut       TEXT NOT NULL CHECK (statut IN ('confirmee', 'annulee')),
    id_commande  BIGINT NOT NULL,
    destinataire TEXT NOT NULL,
    envoye_le    TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (reference, statut)
);
