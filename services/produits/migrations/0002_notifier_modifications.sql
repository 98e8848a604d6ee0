-- Every write to the catalogue, whoever makes it, sends a NOTIFY so that each running
-- instance drops its cached catalogue pages (see src/cache.rs). One notification per
-- statement, not per row: a bulk stock update must not flood the listeners.
CREATE FUNCTION notifier_produits_modifies() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('produits_modifies', '');
    RETURN NULL;
END;
$$;

CREATE TRIGGER produits_modifies
AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON produits
FOR EACH STATEMENT EXECUTE FUNCTION notifier_produits_modifies();
