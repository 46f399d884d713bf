//! The simulator exercised over real HTTP, the way frontline's Avito client will use it.

mod auth;
mod chats;
mod control;
mod faults;
mod helpers;
mod media;
mod messages;
mod webhooks;
