//! API tests of produits against a real PostgreSQL: one fresh database per test.

mod aides;
mod documentation;
mod ecriture;
mod lecture;
mod migrations;
mod sante;
