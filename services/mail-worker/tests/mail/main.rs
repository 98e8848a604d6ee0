//! Integration tests of the mail worker: the real worker against the real PostgreSQL and
//! RabbitMQ, and a small SMTP server of the tests' own that plays a remote server's policy
//! and keeps what it received.

mod aides;
mod etapes;
mod reclamations;
mod refus;
mod serveur_smtp;
