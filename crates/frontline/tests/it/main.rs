//! Integration tests: the real server on `127.0.0.1:0` with its own fresh database, driven over HTTP and
//! WebSocket like any client would.
//!
//! The backend is SQLite unless `FRONTLINE_TEST_BACKEND=postgres` (CI runs both).

mod api_channel;
mod auth;
mod avito;
mod avito_voice;
mod bot;
mod bot_config;
mod cli;
mod crash;
mod errors;
mod helpers;
mod inbox;
mod knowledge;
mod llm_settings;
mod stream;
mod voice;
mod web;
mod workflows;
