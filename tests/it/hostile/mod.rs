//! Hostile settings and servers, responses that cannot hurt, and property
//! tests over whatever comes back.

mod properties;
mod responses;
mod servers;
