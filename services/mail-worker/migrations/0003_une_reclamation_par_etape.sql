-- One email per customer-visible step of an order, no longer per final outcome.
--
-- The claim's second key column, `statut`, now holds the step's notification key
-- (`EtapeCommande::cle_notification`): the step's name (`a_payer`, `confirmee`, `annulee`,
-- `expediee`, `remboursee`), or `paiement_refuse:<payment id>` — a card may be declined several
-- times, one email per attempt. The column keeps its name: a worker of the former version
-- still running during an upgrade keeps claiming `confirmee`/`annulee` in it, and those are
-- the same keys the new version uses for those steps, so an outcome claimed by either is
-- never sent twice.
--
-- The CHECK of 0001 allowed only `confirmee` and `annulee`. It goes; the keys are made by
-- code (contrats), so the one left only bounds their length, not their shape: a new kind of
-- key must not make every claim of a batch fail. The primary key (reference, statut) is
-- unchanged.
ALTER TABLE emails_envoyes DROP CONSTRAINT emails_envoyes_statut_check;
ALTER TABLE emails_envoyes ADD CONSTRAINT emails_envoyes_cle_de_notification
    CHECK (char_length(statut) BETWEEN 1 AND 100);
