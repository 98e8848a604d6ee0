//! API tests of commandes against a real PostgreSQL and a real produits service.

mod aides;
mod creation;
mod documentation;
mod idempotence;
mod lecture;
