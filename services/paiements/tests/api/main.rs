//! API tests of paiements against a real PostgreSQL and RabbitMQ; the tests play commandes'
//! part by publishing its events on their own broker names.

mod aides;
mod commandes;
mod confidentialite;
mod documentation;
mod fournisseur;
mod idempotence;
mod paiement;
