//! API tests of commandes against a real PostgreSQL and a real produits service.

mod aides;
mod creation;
mod delais;
mod documentation;
mod idempotence;
mod lecture;
