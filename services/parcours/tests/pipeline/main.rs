//! The order pipeline end to end: real PostgreSQL, RabbitMQ and SMTP catcher (maildev).

mod boutique;
mod concurrence;
mod cycle;
mod doublons;
mod pannes;
mod poison;
mod relais;
mod retention;
mod saga;
