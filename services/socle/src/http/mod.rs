//! The HTTP edge shared by the services.
//!
//! Whatever goes wrong before a handler runs (unknown route, bad JSON, oversized body, bad
//! path or query, missing token) is answered here with the same JSON error body the services
//! use for their own errors, so a client never has to parse a plain-text error.

mod admin;
mod couches;
mod documentation;
mod erreur;
mod extracteurs;

pub use admin::{Admin, JetonAdmin, SecuriteAdmin};
pub use couches::{
    avec_couches, avec_delai, fallback_json, methode_non_permise, reponses_json_par_defaut,
    DELAI_REQUETE_MS, TAILLE_MAX_CORPS,
};
pub use documentation::documenter_reponses_communes;
pub use erreur::{
    reponse_erreur, reponse_interne, resumer_champs, CorpsErreur, ErreurCommune, Erreurs,
};
pub use extracteurs::{Json, Path, Query, Rejet};
