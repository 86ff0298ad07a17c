//! What a built client sends and how: the settings its builder checked.

use std::time::Duration;

use uuid::Uuid;

use crate::error::kind::InvalidConfig;
use crate::http::{Proxy, agent_config, agent_proxy};
use crate::retry::RetryPolicy;

/// What a built client sends and how; fixed once built.
#[derive(Debug, Clone)]
pub(crate) struct Settings {
    /// `scheme://host[:port][/prefix]`, with no trailing slash.
    pub(crate) base_url: String,
    pub(crate) timeout: Duration,
    pub(crate) connect_timeout: Duration,
    pub(crate) retry: RetryPolicy,
    pub(crate) locale: String,
    pub(crate) application_name: Option<String>,
    pub(crate) correlation_id: Option<Uuid>,
    pub(crate) max_response_bytes: u64,
    /// The byte budget of one list call, all its pages together.
    pub(crate) max_list_bytes: u64,
    /// How long one list call may take, all its pages and retries together;
    /// `Duration::MAX`: no limit.
    pub(crate) list_timeout: Duration,
    /// How long Partner Center may take to list a new order. Not the
    /// transport's, but kept with the client's other settings.
    pub(crate) order_list_lag: Duration,
    pub(crate) proxy: Proxy,
    /// The proxy the agent was given for the base URL, credentials hidden.
    pub(crate) proxy_in_use: Option<String>,
    /// The most requests a minute the client sends; `None`: as many as the
    /// service allows.
    pub(crate) max_requests_per_minute: Option<u32>,
}

impl Settings {
    /// The HTTP agent's configuration.
    pub(crate) fn agent_config(&self, proxy: Option<ureq::Proxy>) -> ureq::config::Config {
        agent_config(
            self.application_name.as_deref(),
            &self.base_url,
            self.connect_timeout,
            self.timeout,
            proxy,
        )
    }

    /// The proxy for the agent.
    pub(crate) fn agent_proxy(&self) -> Result<Option<ureq::Proxy>, InvalidConfig> {
        agent_proxy(&self.proxy, &self.base_url)
    }
}
