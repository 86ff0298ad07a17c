//! Retries: what a call's attempts keep, and the request budget under 429s.

mod attempts;
mod throttling;
