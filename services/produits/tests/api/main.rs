//! API tests of produits against a real PostgreSQL: one fresh database per test.

mod aides;
mod cache_catalogue;
mod concurrence;
mod documentation;
mod ecriture;
mod lecture;
mod liberation;
mod migrations;
mod sante;
mod versions;
